# fixutil -- one GNU Makefile for the tools, the library, tests and benches.
#
#   make [all]        tools and libfixutil (static and shared)
#   make check        every test; ends with "N passed, N failed[, N skipped]"
#   make bench        throughput and latency figures against peer tools
#   make demo         the main job on the bundled examples
#   make install      PREFIX=/usr/local DESTDIR=
#   make dicts        regenerate dicts/ from the FIX Repository (npm jspurefix)
#   make fuzz         longer fuzz runs (clang/libFuzzer)
#   make crash-test   the store crash test, ROUNDS=500 kills by default
#   SANITIZE=address,undefined  WERROR=1  switch on sanitizers / -Werror

VERSION   = 0.1.0
SOVERSION = 0
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
LIBDIR    = $(PREFIX)/lib
INCDIR    = $(PREFIX)/include/fixutil
DATADIR   = $(PREFIX)/share/fixutil
MANDIR    = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/vendor-completions

CC       ?= cc
PKGS      = libxml-2.0 sqlite3 libsodium jansson zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
READLINE_LIBS := $(shell pkg-config --libs readline 2>/dev/null || echo -lreadline)

WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2
OPT      ?= -O2 -g
CFLAGS   ?= $(OPT)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
             $(WARN) $(CFLAGS) -fPIC -iquote libfixutil -iquote cmd/common $(PKG_CFLAGS) \
             -DFIXU_VERSION='"$(VERSION)"' -DFIXU_DICTDIR='"$(DATADIR)/dicts"'
ALL_LDFLAGS = $(LDFLAGS)

BUILD    ?= build
ifneq ($(SANITIZE),)
  BUILD   = build-san
  ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
  ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif
ifeq ($(WERROR),1)
  ALL_CFLAGS += -Werror
endif

TOOLS     = fixdec fixenc fixstore fixsession fixsim fixlock
LIBSRC    = $(wildcard libfixutil/*.c)
LIBOBJ    = $(LIBSRC:%.c=$(BUILD)/%.o)
LIBHDR    = $(filter-out libfixutil/datatags.h libfixutil/%_int.h,$(wildcard libfixutil/*.h))
# cmd/TOOL.c and cmd/TOOL/*.c make a tool; cmd/common/*.c are shared.
CMDCOMMON = $(wildcard cmd/common/*.c)
CMDOBJ    = $(CMDCOMMON:%.c=$(BUILD)/%.o)
BINS      = $(TOOLS:%=$(BUILD)/bin/%)
UNITSRC   = $(wildcard tests/unit/test_*.c)
UNITS     = $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZSRC   = $(wildcard tests/fuzz/fuzz_*.c)
FUZZDRV   = $(FUZZSRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
STATIC    = $(BUILD)/lib/libfixutil.a
SHARED    = $(BUILD)/lib/libfixutil.so.$(VERSION)

.SECONDARY:
.PHONY: all check unit cli fuzz bench demo install uninstall clean dicts deps crash-test \
        deps-check deps-bench

all: $(BINS) $(STATIC) $(SHARED) $(BUILD)/fixutil.pc

$(BUILD)/%.o: %.c $(wildcard libfixutil/*.h) $(wildcard cmd/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(STATIC): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIBOBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libfixutil.so.$(SOVERSION) $(ALL_LDFLAGS) \
	    -o $@ $^ $(PKG_LIBS)

.SECONDEXPANSION:
$(BUILD)/bin/%: $(BUILD)/cmd/%.o $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard cmd/$$*/*.c))) $(CMDOBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(STATIC) $(PKG_LIBS) $(READLINE_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(STATIC) $(PKG_LIBS) -lm

# Fuzz drivers: a plain main() replays the corpus and random inputs, so they
# run in every build; `make fuzz` rebuilds them with clang's libFuzzer.
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/driver.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/driver.c $(STATIC) $(PKG_LIBS) -lm

$(BUILD)/fixutil.pc: Makefile
	@mkdir -p $(@D)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(PREFIX)/include' '' \
	  'Name: fixutil' 'Description: FIX codec, dictionaries and session tools' \
	  'Version: $(VERSION)' 'Requires.private: $(PKGS)' \
	  'Libs: -L$${libdir} -lfixutil' 'Cflags: -I$${includedir}' > $@

deps:
	@sh tools/deps.sh build
deps-check:
	@sh tools/deps.sh check
deps-bench:
	@sh tools/deps.sh bench

check: deps-check
	@$(MAKE) --no-print-directory all tests
	@FIXU_SANITIZE='$(SANITIZE)' sh tests/run.sh $(BUILD)

# The session conformance harness (tests/at): the echo application behind
# fixsession and the in-process player that drives the session state
# machine directly; over TCP, fixsim script plays the .def files.
ATPROGS = $(BUILD)/tests/at_echo $(BUILD)/tests/at_inproc

tests: $(UNITS) $(FUZZDRV) $(BINS) $(BUILD)/tests/crash_writer $(ATPROGS)

$(BUILD)/tests/at_echo: tests/at/echo_main.c tests/at/echo.c $(wildcard tests/at/*.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/at $(ALL_LDFLAGS) -o $@ $(filter %.c,$^) $(STATIC) $(PKG_LIBS) -lm
$(BUILD)/tests/at_inproc: tests/at/at_inproc.c tests/at/echo.c $(wildcard tests/at/*.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/at $(ALL_LDFLAGS) -o $@ $(filter %.c,$^) $(STATIC) $(PKG_LIBS) -lm

# The store's crash test: a writer killed at random moments, then checked.
$(BUILD)/tests/crash_writer: tests/store/crash_writer.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(STATIC) $(PKG_LIBS) -lm

crash-test: all $(BUILD)/tests/crash_writer
	@sh tests/store/crash.sh $(or $(ROUNDS),500) $(BUILD)

fuzz:
	@sh tests/fuzz/run-libfuzzer.sh $(or $(FUZZ_SECONDS),60)

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh $(BUILD)

dicts:
	@sh tools/fetch-repo.sh $(BUILD)/fix_repo.zip
	python3 tools/gen-dicts.py $(BUILD)/fix_repo.zip dicts/

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) \
	  $(DESTDIR)$(DATADIR)/dicts $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)
	ln -sf libfixutil.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libfixutil.so.$(SOVERSION)
	ln -sf libfixutil.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libfixutil.so
	install -m 644 $(LIBHDR) $(DESTDIR)$(INCDIR)
	install -m 644 $(BUILD)/fixutil.pc $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 dicts/*.xml $(DESTDIR)$(DATADIR)/dicts
	for f in man/*.[1357]; do s=$${f##*.}; install -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s; done
	for t in $(TOOLS); do install -m 644 completions/bash/$$t $(DESTDIR)$(BASHCOMPDIR)/$$t; \
	  install -m 644 completions/zsh/_$$t $(DESTDIR)$(ZSHCOMPDIR)/_$$t; done

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) $(DESTDIR)$(LIBDIR)/libfixutil.a \
	  $(DESTDIR)$(LIBDIR)/libfixutil.so* $(DESTDIR)$(LIBDIR)/pkgconfig/fixutil.pc \
	  $(TOOLS:%=$(DESTDIR)$(BASHCOMPDIR)/%) $(TOOLS:%=$(DESTDIR)$(ZSHCOMPDIR)/_%)
	rm -rf $(DESTDIR)$(INCDIR) $(DESTDIR)$(DATADIR)
	for f in man/*.[1357]; do s=$${f##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${f##*/}; done

clean:
	rm -rf build build-san build-clang
