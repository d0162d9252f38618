/*
 * ingest.h - the ingest layer: the ingest pipeline and the PREMIS
 * description of stored objects.  (The BagIt engine joins this header in
 * its own section.)
 */
#ifndef INGEST_H
#define INGEST_H

#include "../repo/repo.h"

/* ---- PREMIS ---- */

/* Appends to out the PREMIS 3 document (premis.xsd-valid) describing the
 * object as the catalog knows it, including rows of an uncommitted
 * transaction on r: the intellectual entity, one file object per payload
 * file with fixity, size and format, every event and the agents. */
int ing_premis_xml(struct repo *r, const char *object_id, struct vl_buf *out,
		   struct vl_err *err);

#endif
