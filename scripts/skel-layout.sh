#!/bin/bash
# Prints what a libbpf skeleton header binds by name, in a form two skeletons
# can be diffed on: each set of maps, programs and links sorted (the skeleton
# finds them by name), each global-data section as laid out (the skeleton maps
# it by offset). Used to check that the compat programs can be opened through
# the main skeleton (Makefile: compat-layout.ok).
set -euo pipefail
sed -n '/^struct [a-z_]*_bpf {$/,/^#ifdef __cplusplus$/p' "$1" |
	sed -e "s/_compat_bpf/_bpf/g" |
	awk '
	/^\tstruct {$/ { set = 1; n = 0; next }
	set && /^\t} [a-z]+;$/ {
		print $2; fflush()
		cmd = "sort"
		for (i = 0; i < n; i++) print line[i] | cmd
		close(cmd)
		set = 0
		next
	}
	set { line[n++] = $0; next }
	/^\tstruct [a-z_]+__[a-z]+ {$/ { sec = 1 }
	sec { print }
	sec && /^\t} \*[a-z]+;$/ { sec = 0 }
	'
