# Vellum - GNU Make build.  `make help` lists the targets.
#
# Sources are found by directory: every .c file in a module directory goes
# into libvellum.a, every cli/*.c into the `vellum` binary, every
# tests/unit/test_*.c becomes one cmocka test binary.  SAN=1 builds with
# ASan+UBSan into build-san/ so sanitized and plain objects never mix.

PREFIX   ?= /usr/local
CC       ?= cc
PKGS     := libxml-2.0 libarchive libcrypto sqlite3 libcurl libmicrohttpd \
	    libutf8proc libmagic jansson raptor2 zlib
# Compiled against, loaded with dlopen by the commands that need them
# (repo/vl_dl.c), not linked: they would cost every start of vellum
# the dynamic linking of some thirty-five libraries.  The tests link
# libarchive: they build hostile archives themselves.
DL_PKGS  := libcurl libmicrohttpd raptor2 libarchive
LINK_PKGS := $(filter-out $(DL_PKGS),$(PKGS))
TEST_PKGS := cmocka libmicrohttpd libarchive
# Debian 12 packages: libraries, then tools the build and tests use.
# libcurl4-gnutls-dev, not the OpenSSL flavour: libraptor2-dev depends on
# the GnuTLS one and conflicts with the other.
DEB_PKGS := gcc make pkg-config libxml2-dev libarchive-dev libssl-dev \
	    libsqlite3-dev libcurl4-gnutls-dev libmicrohttpd-dev \
	    libcmocka-dev libutf8proc-dev libmagic-dev libjansson-dev \
	    libraptor2-dev zlib1g-dev libxml2-utils curl xsltproc jq sqlite3 python3 bc time

ifeq ($(SAN),1)
B        := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
VELLUM   := $(B)/vellum
else
B        := build
SANFLAGS :=
VELLUM   := ./vellum
endif

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wvla
ifeq ($(WERROR),1)
WARN     += -Werror
endif
# The soname each dlopen'ed library is loaded by, read from its
# development link (the Debian 12 names are the fallback).
soname_of = $(or $(shell objdump -p "$$(pkg-config --variable=libdir $(1) \
	2>/dev/null)/$(2)" 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }'),$(3))
DL_DEFS   := -DVL_CURL_SONAME='"$(call soname_of,libcurl,libcurl.so,libcurl-gnutls.so.4)"' \
	     -DVL_MHD_SONAME='"$(call soname_of,libmicrohttpd,libmicrohttpd.so,libmicrohttpd.so.12)"' \
	     -DVL_RAPTOR_SONAME='"$(call soname_of,raptor2,libraptor2.so,libraptor2.so.0)"' \
	     -DVL_ARC_SONAME='"$(call soname_of,libarchive,libarchive.so,libarchive.so.13)"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(DL_DEFS)
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) \
	     $(PKG_CFLAGS) -pthread -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -pthread
LIBS     = $(PKG_LIBS) -lm

# Layers, lowest first; a module may include only headers of lower ones.
MODULES  := repo fixity metadata ingest oai
LIB_SRC  := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
LIBVELLUM := $(B)/libvellum.a

.PHONY: all check demo deps install clean bench lint format tests man stress \
	fuzz help
.DEFAULT_GOAL := all

all: $(VELLUM)

help:
	@echo "make [SAN=1] [WERROR=1] TARGET"
	@echo "  all      build ./vellum (build-san/vellum with SAN=1)"
	@echo "  check    install missing packages, build, run every test"
	@echo "  demo     build, create demo/, ingest a sample, audit, serve"
	@echo "  deps     install missing Debian packages (or say which)"
	@echo "  install  PREFIX=$(PREFIX): the binary and the man page"
	@echo "  bench    run the benchmarks in bench/"
	@echo "  lint     cppcheck and clang-format --dry-run"
	@echo "  fuzz     build the libFuzzer targets (clang)"
	@echo "  clean    remove build products"

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBVELLUM): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(VELLUM): $(CLI_OBJ) $(LIBVELLUM)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBVELLUM) $(LIBS)

# A test may ask for link-time fault injection with a line
#   /* LDFLAGS: -Wl,--wrap=fsync */
# in its source; the build passes those flags on.
$(B)/tests/%: tests/unit/%.c tests/unit/testkit.h $(LIBVELLUM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags $(TEST_PKGS)) \
		-o $@ $< $(ALL_LDFLAGS) \
		$(shell sed -n 's|^/\* LDFLAGS: \(.*\) \*/$$|\1|p' $<) \
		$(LIBVELLUM) $(LIBS) $(shell pkg-config --libs $(TEST_PKGS))

deps:
	@sh tests/deps.sh $(DEB_PKGS)

check: deps
	@$(MAKE) --no-print-directory all tests
	@sh tests/run.sh "$(B)" "$(VELLUM)"

tests: $(TEST_BIN)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh docs/demo.sh "$(VELLUM)"

install: $(VELLUM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(VELLUM) $(DESTDIR)$(PREFIX)/bin/vellum
	install -m 644 docs/vellum.1 $(DESTDIR)$(PREFIX)/share/man/man1/vellum.1

bench: deps
	@$(MAKE) --no-print-directory all
	@for b in bench/*.sh; do echo "== $$b"; sh $$b "$(VELLUM)" || exit 1; done

LINT_SRC := $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(wildcard */*.h tests/unit/*.h \
	    tests/fuzz/*.c)
lint:
	cppcheck --quiet --enable=warning,performance,portability \
		--error-exitcode=1 --inline-suppr -D_GNU_SOURCE \
		--suppress=missingIncludeSystem $(LIB_SRC) $(CLI_SRC)
	clang-format --dry-run -Werror $(LINT_SRC)

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
fuzz: $(FUZZ_BIN)
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(PKG_CFLAGS) -o $@ $< $(LIB_SRC) $(LIBS) -pthread

clean:
	rm -rf build build-san build-fuzz vellum

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

format:
	clang-format -i $(LINT_SRC)

# The man page is generated from the help text; commit the result.
man: $(VELLUM)
	sh docs/mkman.sh $(VELLUM) > docs/vellum.1.tmp && mv docs/vellum.1.tmp docs/vellum.1

# Many more kill -9 rounds than `make check` runs.
stress: all
	@TOP=$$(pwd) VELLUM=$$(pwd)/$(VELLUM) SHARED=$$(cd ../shared && pwd) \
		CRASH_ROUNDS=$${CRASH_ROUNDS:-300} sh tests/cli/t0604-crash.sh
