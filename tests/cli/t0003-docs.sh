#!/bin/sh
# t0003-docs: the man page is the one generated from the help text, and
# the README documents every command.
. "$TOP/tests/cli/lib.sh"

sh "$TOP/docs/mkman.sh" "$VELLUM" >vellum.1
if cmp -s vellum.1 "$TOP/docs/vellum.1"; then ok "docs/vellum.1 matches the help text"; else
	not_ok "docs/vellum.1 matches the help text" "run 'make man' and commit docs/vellum.1"; fi
for cmd in $("$VELLUM" help | sed -n '/^Commands:/,/^$/p' | sed '1d;/^$/d' | awk '{print $1}'); do
	[ "$cmd" = help ] && continue
	if grep -q "^### vellum $cmd" "$TOP/README.md"; then ok "README documents $cmd"; else
		not_ok "README documents $cmd" "no '### vellum $cmd' section"; fi
done
finish
