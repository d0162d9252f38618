/*
 * vl_err.c - error values and stderr logging.
 *
 * The log level is configuration, set once by main() before any thread
 * starts; everything else here is stateless.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vl.h"

static enum vl_log_level log_level = VL_LOG_WARN;

int
vl_err_set(struct vl_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int
vl_err_sys(struct vl_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		n = strlen(err->msg);
		if (n < sizeof(err->msg))
			snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
				 strerror(saved));
	}
	errno = saved;
	return code;
}

void
vl_err_clear(struct vl_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *
vl_code_name(int code)
{
	switch (code) {
	case VL_OK: return "ok";
	case VL_E_IO: return "io";
	case VL_E_DB: return "database";
	case VL_E_NOMEM: return "nomem";
	case VL_E_INVAL: return "invalid";
	case VL_E_NOTFOUND: return "notfound";
	case VL_E_EXISTS: return "exists";
	case VL_E_FORMAT: return "format";
	case VL_E_VERSION: return "version";
	case VL_E_CHECK: return "check";
	case VL_E_NET: return "network";
	case VL_E_UNSAFE: return "unsafe";
	case VL_E_BUSY: return "busy";
	case VL_E_INTR: return "interrupted";
	default: return "error";
	}
}

void
vl_log_set_level(enum vl_log_level level)
{
	log_level = level;
}

enum vl_log_level
vl_log_get_level(void)
{
	return log_level;
}

static void
log_out(const char *prefix, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (with_errno)
		fprintf(stderr, "vellum: %s%s: %s\n", prefix, line,
			strerror(saved));
	else
		fprintf(stderr, "vellum: %s%s\n", prefix, line);
	errno = saved;
}

void
vl_log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_level < VL_LOG_WARN)
		return;
	va_start(ap, fmt);
	log_out("warning: ", 1, fmt, ap);
	va_end(ap);
}

void
vl_log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (log_level < VL_LOG_WARN)
		return;
	va_start(ap, fmt);
	log_out("warning: ", 0, fmt, ap);
	va_end(ap);
}

void
vl_log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < VL_LOG_INFO)
		return;
	va_start(ap, fmt);
	log_out("", 0, fmt, ap);
	va_end(ap);
}

void
vl_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < VL_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	log_out("debug: ", 0, fmt, ap);
	va_end(ap);
}
