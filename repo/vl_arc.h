/*
 * vl_arc.h - libarchive, loaded when a command first reads or writes an
 * archive (a serialized bag, an export to .tar/.zip) rather than at every
 * start: see vl_dl.c.  An archive handle comes only from vl_arc_read_new()
 * or vl_arc_write_new(), which load the library; every other call goes
 * through the table: vl_arc()->read_next_header(a, &e).
 */
#ifndef VL_ARC_H
#define VL_ARC_H

#include <archive.h>
#include <archive_entry.h>

#include "vl.h"

/* member, libarchive function */
#define VL_ARC_FUNCS(X)                                                   \
	X(read_new, archive_read_new)                                     \
	X(read_support_filter_gzip, archive_read_support_filter_gzip)     \
	X(read_support_filter_none, archive_read_support_filter_none)     \
	X(read_support_format_tar, archive_read_support_format_tar)       \
	X(read_support_format_gnutar, archive_read_support_format_gnutar) \
	X(read_support_format_zip, archive_read_support_format_zip)       \
	X(read_open_fd, archive_read_open_fd)                             \
	X(read_open_filename, archive_read_open_filename)                 \
	X(read_next_header, archive_read_next_header)                     \
	X(read_data_block, archive_read_data_block)                       \
	X(read_free, archive_read_free)                                   \
	X(write_new, archive_write_new)                                   \
	X(write_set_format_zip, archive_write_set_format_zip)             \
	X(write_set_format_pax_restricted,                                \
	  archive_write_set_format_pax_restricted)                        \
	X(write_set_format_option, archive_write_set_format_option)       \
	X(write_add_filter_gzip, archive_write_add_filter_gzip)           \
	X(write_open_fd, archive_write_open_fd)                           \
	X(write_open_filename, archive_write_open_filename)               \
	X(write_header, archive_write_header)                             \
	X(write_data, archive_write_data)                                 \
	X(write_close, archive_write_close)                               \
	X(write_free, archive_write_free)                                 \
	X(error_string, archive_error_string)                             \
	X(errno_of, archive_errno)                                        \
	X(format, archive_format)                                         \
	X(filter_code, archive_filter_code)                               \
	X(entry_new, archive_entry_new)                                   \
	X(entry_free, archive_entry_free)                                 \
	X(entry_pathname, archive_entry_pathname)                         \
	X(entry_pathname_utf8, archive_entry_pathname_utf8)               \
	X(entry_hardlink, archive_entry_hardlink)                         \
	X(entry_filetype, archive_entry_filetype)                         \
	X(entry_size, archive_entry_size)                                 \
	X(entry_size_is_set, archive_entry_size_is_set)                   \
	X(entry_set_pathname_utf8, archive_entry_set_pathname_utf8)       \
	X(entry_set_filetype, archive_entry_set_filetype)                 \
	X(entry_set_perm, archive_entry_set_perm)                         \
	X(entry_set_mtime, archive_entry_set_mtime)                       \
	X(entry_set_size, archive_entry_set_size)

struct vl_arc {
	VL_ARC_FUNCS(VL_DL_MEMBER)
};

/* Loads libarchive once per process (thread safe).  0, or VL_E_NOTFOUND
 * with a message when it is missing. */
int vl_arc_load(struct vl_err *err);
/* The table; only after vl_arc_load() succeeded. */
const struct vl_arc *vl_arc(void);
/* A new reading or writing handle, libarchive loaded first; NULL with
 * err set (library missing, or out of memory). */
struct archive *vl_arc_read_new(struct vl_err *err);
struct archive *vl_arc_write_new(struct vl_err *err);

#endif
