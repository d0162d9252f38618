#!/bin/sh
# t0001-cli: help, version, exit codes and bad invocations.
. "$TOP/tests/cli/lib.sh"

run --version
expect_rc "--version exits 0" 0
expect_out "--version prints the version" '^vellum [0-9]+\.[0-9]+\.[0-9]+$'

run help
expect_rc "help exits 0" 0
expect_out "help lists init" '^  init '
expect_out "help lists status" '^  status '
expect_out "help documents exit codes" '^  3  runtime failure'

run help init
expect_rc "help init exits 0" 0
expect_out "help init shows usage" '^usage: vellum init '
run init --help
expect_rc "init --help exits 0" 0
expect_out "init --help shows usage" '^usage: vellum init '
run status --help
expect_rc "status --help works outside a repository" 0
run help config
expect_out "help config lists keys" '^  oai_namespace '
run help exit-codes
expect_out "help exit-codes" '^  1  a check found a problem'

run frobnicate
expect_rc "unknown command exits 2" 2
expect_err "unknown command is named" "unknown command 'frobnicate'"
run help frobnicate
expect_rc "help of unknown command exits 2" 2

run
expect_rc "no command exits 2" 2
expect_err "no command says so" 'no command given'

run init
expect_rc "init without DIR exits 2" 2
expect_err "init without DIR says what is missing" 'missing the repository directory'
expect_err "init without DIR shows usage" '^usage: vellum init'
[ "$(wc -l <"$ERR")" -le 4 ] && ok "usage error is short" || not_ok "usage error is short"

run init --frobnicate x
expect_rc "unknown flag exits 2" 2
expect_err "unknown flag is named" "unknown option '--frobnicate'"
run init -Z x
expect_rc "unknown short flag exits 2" 2
expect_err "unknown short flag is named" "unknown option '-Z'"
run init --name
expect_rc "flag without value exits 2" 2
expect_err "flag without value is named" "option '--name' needs a value"
run --bogus status
expect_rc "unknown global flag exits 2" 2
expect_err "unknown global flag is named" "unknown option '--bogus'"
run -r
expect_rc "-r without value exits 2" 2

run -r "$T/does-not-exist" status
expect_rc "missing repo path exits 2" 2
expect_err "missing repo path is named" "does-not-exist"
[ "$(wc -l <"$ERR")" -eq 1 ] && ok "missing repo error is one line" || not_ok "missing repo error is one line"
mkdir plain
run -r plain status
expect_rc "directory that is no repository exits 2" 2
expect_err "says it is not a repository" "not a Vellum repository"
run status
expect_rc "status in a non-repository cwd exits 2" 2

finish
