#!/usr/bin/env bats
# The documents agree with the tools: options in usage, man pages and
# completions; the EXAMPLES of every man page run; mandoc and groff find
# nothing to warn about; the completions complete.
#
# Conventions this relies on (each page says them in its leading comment):
#   man pages  every example command is one .Dl line in EXAMPLES, and
#              nothing else there is run; a line `.\" exit N` right before
#              a .Dl line says the command exits N (default 0); on .Dl lines
#              \(aq is ', \(dq is ", \e is \, \- is -, \& is nothing, and
#              there are no bare double quotes.  Commands run from examples/
#              with bash -o pipefail, in page order, TMPDIR a scratch dir.
#   libfixutil.3  the .Bd -literal block of EXAMPLES is a C program.
#   bash       the completion function _TOOL lists the options when asked
#              to complete "-" (it is run, not parsed).
#   zsh        one _arguments spec a line, starting '(excl)*-X or '-X.
#   modes      a tool whose usage lists "modes:" (fixsim) is checked mode
#              by mode: "TOOL MODE -h" against the SYNOPSIS line ".Nm",
#              ".Cm MODE" and the options after it, the .It Fl lines of
#              the section named MODE in capitals, the bash completion of
#              "TOOL MODE -", and the zsh specs of the case "(MODE)".

load helpers

tools="fixdec fixenc fixstore fixsession fixsim fixlock"

# The modes of a tool run as "TOOL MODE [options]": the first words of
# the lines after "modes:" in its usage; nothing for the other tools.
modes_of() {
	"$1" -h | awk '/^modes:/ { m = 1; next } m && NF { print $1 }'
}

# What the option checks take one at a time, "TOOL" or "TOOL MODE" a
# line: every tool, and every mode of the tools that have modes.
units() {
	local t m
	for t in $tools; do
		m=$(modes_of "$t")
		if [ -z "$m" ]; then
			echo "$t"
		else
			for m in $m; do
				echo "$t $m"
			done
		fi
	done
}

# The sorted, distinct letters of stdin, as one word.
letters() {
	fold -w1 | grep -E '^[A-Za-z]$' | sort -u | tr -d '\n'
}

# Option letters of a usage text: the "usage:" line and the indented "["
# lines that continue it; [-abc] clusters and [-x arg] options.
usage_letters() {
	awk '/^usage:/ { u = 1; print; next }
	    u && /^[ \t]+(\[|[a-z]+ -)/ { print; next }
	    { u = 0 }' "$1" |
	    grep -oE '(\[| )-[A-Za-z]+([] ]|$)' | sed -E 's/^.-//; s/[] ]$//' |
	    letters
}

# Every word after an Fl macro in the SYNOPSIS of a man page.
man_letters() {
	awk '/^\.Sh / { s = ($0 ~ /^\.Sh SYNOPSIS/); next }
	    s { for (i = 1; i < NF; i++)
		    if ($i == "Fl" || $i == ".Fl") print $(i + 1) }' "$1" |
	    letters
}

# The options the DESCRIPTION lists: .It Fl x.
man_item_letters() {
	awk '/^\.Sh / { s = ($0 ~ /^\.Sh DESCRIPTION/); next }
	    s && /^\.It Fl / { print $3 }' "$1" | letters
}

# What the bash completion offers for "TOOL -" (or "TOOL MODE -"), in
# plain bash.
bash_letters() {
	bash -c 'source "$1" || exit 1
	    t=$2; shift 2
	    COMP_WORDS=("$t" "$@" -); COMP_CWORD=$(($# + 1))
	    COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
	    "_$t" "$t" - "${COMP_WORDS[COMP_CWORD - 1]}" || true
	    printf "%s\n" "${COMPREPLY[@]}"' bash "$@" |
	    sed -n 's/^-\([A-Za-z]\)$/\1/p' | letters
}

# The option specs of a zsh completion.
zsh_letters() {
	grep -oE "^[[:space:]]*'(\([^)]*\))?\*?-[A-Za-z]" "$1" |
	    sed 's/.*-//' | letters
}

# check_options TOOL USAGE-FILE MANPAGE BASHFILE ZSHFILE [MODE]: all the
# same.  For a mode, MANPAGE and ZSHFILE are the mode's parts only
# (unit_files).
check_options() {
	local u m i b z x bad=0 n="$1${6:+ $6}"

	u=$(usage_letters "$2")
	m=$(man_letters "$3")
	i=$(man_item_letters "$3")
	b=$(bash_letters "$4" "$1" $6)
	z=$(zsh_letters "$5")
	if [ -z "$u" ]; then
		echo "$n: no options found in the usage text"
		return 1
	fi
	for x in "man SYNOPSIS=$m" "man options list=$i" "bash completion=$b" \
	    "zsh completion=$z"; do
		if [ "${x#*=}" != "$u" ]; then
			echo "$n: usage has -$u but ${x%%=*} has -${x#*=}"
			bad=1
		fi
	done
	return $bad
}

# unit_files TOOL [MODE]: the usage, man page and zsh completion of a
# tool or of one of its modes, as $tmp/TOOL[-MODE].{usage,1,zsh}.  The
# man page of a mode is its SYNOPSIS line and the .It Fl lines of its
# section, as a page of their own; its zsh file the lines of its case.
unit_files() {
	local f="$tmp/$1${2:+-$2}"

	"$1" ${2:+"$2"} -h > "$f.usage"
	if [ -z "$2" ]; then
		cp "$top/man/$1.1" "$f.1"
		cp "$top/completions/zsh/_$1" "$f.zsh"
		return
	fi
	awk -v mode="$2" '
	    /^\.Sh / { s = substr($0, 5); w = 0; next }
	    s == "SYNOPSIS" && /^\.Nm/ { w = 0 }
	    s == "SYNOPSIS" && $1 == ".Cm" && $2 == mode { w = 1 }
	    s == "SYNOPSIS" && w { syn = syn $0 "\n" }
	    s == toupper(mode) && /^\.It Fl / { it = it $0 "\n" }
	    END { printf ".Sh SYNOPSIS\n%s.Sh DESCRIPTION\n%s", syn, it }' \
	    "$top/man/$1.1" > "$f.1"
	awk -v mode="$2" '
	    $0 ~ "^[[:space:]]*\\(" mode "\\)[[:space:]]*$" { p = 1; next }
	    p && /^[[:space:]]*;;/ { p = 0 }
	    p' "$top/completions/zsh/_$1" > "$f.zsh"
}

# check_modes TOOL: its usage, its man SYNOPSIS (".Cm MODE" lines), its
# bash completion of "TOOL " and its zsh cases name the same modes.
check_modes() {
	local u m b z x bad=0

	u=$(modes_of "$1" | sort | tr '\n' ' ')
	m=$(awk '/^\.Sh / { s = ($0 ~ /^\.Sh SYNOPSIS/); next }
	    s && $1 == ".Cm" { print $2 }' "$top/man/$1.1" |
	    sort | tr '\n' ' ')
	b=$(bash -c 'source "$1" || exit 1
	    COMP_WORDS=("$2" ""); COMP_CWORD=1
	    COMP_LINE="$2 "; COMP_POINT=${#COMP_LINE}
	    "_$2" "$2" "" "$2" || true
	    printf "%s\n" "${COMPREPLY[@]}"' bash \
	    "$top/completions/bash/$1" "$1" | sort | tr '\n' ' ')
	z=$(sed -nE 's/^[[:space:]]*\(([a-z]+)\)[[:space:]]*$/\1/p' \
	    "$top/completions/zsh/_$1" | sort | tr '\n' ' ')
	for x in "man SYNOPSIS=$m" "bash completion=$b" "zsh completion=$z"; do
		if [ "${x#*=}" != "$u" ]; then
			echo "$1: usage has modes $u but ${x%%=*} has ${x#*=}"
			bad=1
		fi
	done
	return $bad
}

@test "options: usage, man SYNOPSIS, man options list, bash and zsh agree" {
	bad=0
	while read -r t m; do
		unit_files "$t" $m
		f="$tmp/$t${m:+-$m}"
		check_options "$t" "$f.usage" "$f.1" \
		    "$top/completions/bash/$t" "$f.zsh" $m || bad=1
	done < <(units)
	for t in $tools; do
		[ -z "$(modes_of "$t")" ] || check_modes "$t" || bad=1
	done
	[ "$bad" -eq 0 ]
}

@test "options: the check fails when one letter is missing anywhere" {
	while read -r t mode; do
		unit_files "$t" $mode
		f="$tmp/$t${mode:+-$mode}"
		u="$f.usage" m="$f.1"
		b="$top/completions/bash/$t" z="$f.zsh"
		check_options "$t" "$u" "$m" "$b" "$z" $mode
		# The letter taken out of the completions: -h, or else (a mode
		# whose usage does not show -h) its first letter.
		x=$(usage_letters "$u")
		[[ $x == *h* ]] && x=h || x=${x:0:1}

		# usage: the first letter of the first [-...] cluster
		sed -E '0,/\[-[A-Za-z]+\]/s/\[-[A-Za-z]([A-Za-z]*)\]/[-\1]/' \
		    "$u" > "$tmp/u"
		! cmp -s "$u" "$tmp/u"
		run check_options "$t" "$tmp/u" "$m" "$b" "$z" $mode
		[ "$status" -ne 0 ]

		# man: the ".Op Fl x Ar arg" lines of SYNOPSIS for the letter
		# of the first (a tool with several forms repeats some)
		awk '!l && /^\.Op Fl [A-Za-z] Ar / { l = $3 }
		    l && $1 == ".Op" && $2 == "Fl" && $3 == l && $4 == "Ar" { next }
		    1' "$m" > "$tmp/m"
		! cmp -s "$m" "$tmp/m"
		run check_options "$t" "$u" "$tmp/m" "$b" "$z" $mode
		[ "$status" -ne 0 ]

		# bash: -x from the lists of options
		sed -E "/opts=/s/([ '])-$x( |')/\1\2/" "$b" > "$tmp/b"
		! cmp -s "$b" "$tmp/b"
		run check_options "$t" "$u" "$m" "$tmp/b" "$z" $mode
		[ "$status" -ne 0 ]

		# zsh: the spec of -x
		sed -E "/^[[:space:]]*'(\([^)]*\))?\*?-$x/d" "$z" > "$tmp/z"
		! cmp -s "$z" "$tmp/z"
		run check_options "$t" "$u" "$m" "$b" "$tmp/z" $mode
		[ "$status" -ne 0 ]
	done < <(units)
}

# EXAMPLES of a page as "STATUS<TAB>COMMAND" lines, escapes undone.
examples_of() {
	awk '/^\.Sh / { s = ($0 ~ /^\.Sh EXAMPLES/); next }
	    !s { next }
	    /^\.\\" exit [0-9]+$/ { st = $3; next }
	    /^\.Dl / { print (st == "" ? 0 : st) "\t" substr($0, 5) }
	    { st = "" }' "$1" |
	    sed -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\-/-/g' \
		-e 's/\\&//g' -e 's/\\e/\\/g'
}

# run_examples PAGE: run them all from examples/; report every failure.
run_examples() {
	local page="$top/man/$1" n=0 bad=0 want cmd got

	grep '^\.Dl ' "$page" | grep '"' && {
		echo "$1: a .Dl line has a bare double quote: use \\(dq"
		return 1
	}
	mkdir -p "$tmp/scratch"
	while IFS=$'\t' read -r want cmd; do
		n=$((n + 1))
		got=0
		(cd "$ex" && TMPDIR="$tmp/scratch" bash -o pipefail -c "$cmd") \
		    > "$tmp/ex.out" 2>&1 || got=$?
		if [ "$got" -ne "$want" ]; then
			echo "$1: exit $got, expected $want: $cmd"
			sed 's/^/    /' "$tmp/ex.out" | head -n 20
			bad=1
		fi
	done < <(examples_of "$page")
	if [ "$n" -eq 0 ]; then
		echo "$1: no .Dl examples found"
		return 1
	fi
	echo "$1: $n examples"
	return $bad
}

@test "fixdec.1: every EXAMPLES command runs" {
	run_examples fixdec.1
}

@test "fixenc.1: every EXAMPLES command runs" {
	run_examples fixenc.1
}

@test "fixstore.1: every EXAMPLES command runs" {
	run_examples fixstore.1
}

@test "fixstore.5: every EXAMPLES command runs" {
	run_examples fixstore.5
}

@test "fixsession.1: every EXAMPLES command runs" {
	run_examples fixsession.1
}

@test "fixsim.1: every EXAMPLES command runs" {
	run_examples fixsim.1
}

@test "fixdict.5: every EXAMPLES command runs" {
	run_examples fixdict.5
}

@test "fixutil.7: every EXAMPLES command runs" {
	run_examples fixutil.7
}

@test "examples: an expected exit status is checked" {
	printf '%s\n' '.Sh EXAMPLES' '.\" exit 1' '.Dl fixdec -V damaged.log' \
	    '.Dl fixdec -V damaged.log' '.Dl echo \(aqa\e|b\(aq' \
	    '.Sh SEE ALSO' '.Dl false' > "$tmp/t.1"
	run examples_of "$tmp/t.1"
	[ "${lines[0]}" = "1	fixdec -V damaged.log" ]
	[ "${lines[1]}" = "0	fixdec -V damaged.log" ]
	[ "${lines[2]}" = "0	echo 'a\|b'" ]
	[ "${#lines[@]}" -eq 3 ]
	mkdir -p "$tmp/man"
	cp "$tmp/t.1" "$tmp/man/t.1"
	top_saved=$top
	top=$tmp
	run run_examples t.1
	top=$top_saved
	[ "$status" -ne 0 ]
	[[ "$output" == *"exit 1, expected 0: fixdec -V damaged.log"* ]]
}

@test "libfixutil.3: the example program compiles and runs" {
	command -v cc > /dev/null || skip "no C compiler"
	pkg-config --exists libxml-2.0 jansson || skip "no pkg-config data"
	awk '/^\.Sh / { s = ($0 ~ /^\.Sh EXAMPLES/); next }
	    s && /^\.Bd -literal/ && !done { p = 1; next }
	    p && /^\.Ed/ { p = 0; done = 1; next }
	    p' "$top/man/libfixutil.3" | sed 's/\\e/\\/g' > "$tmp/msgs.c"
	[ -s "$tmp/msgs.c" ]
	mkdir -p "$tmp/inc"
	ln -s "$top/libfixutil" "$tmp/inc/fixutil"
	# The sanitizer build's library needs its runtime linked in too.
	cc -std=c11 -Wall -Wextra -Werror ${FIXU_SANITIZE:+-fsanitize=$FIXU_SANITIZE} \
	    -I"$tmp/inc" -o "$tmp/msgs" \
	    "$tmp/msgs.c" "$top/$build/lib/libfixutil.a" \
	    $(pkg-config --libs libxml-2.0 jansson) -lm
	run "$tmp/msgs" "$ex/FIX.4.4-EXEC-CLIENT1.messages.log"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 22 ]
	[[ "${lines[2]}" == *"|35=D|{MsgType=NewOrderSingle}|"* ]]
	run "$tmp/msgs" "$ex/damaged.log"
	[ "$status" -eq 3 ]
	[[ "$output" == *"bad: bad CheckSum (10): expected 178, got 000"* ]]
}

@test "mandoc -Tlint: nothing above style level" {
	command -v mandoc > /dev/null || skip "mandoc not installed"
	run mandoc -Tlint -W warning "$top"/man/*.[1-9]
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "man -l: groff renders every page without warnings" {
	command -v man > /dev/null && command -v groff > /dev/null ||
	    skip "man or groff not installed"
	for f in "$top"/man/*.[1-9]; do
		out=$(MANWIDTH=80 man -l --warnings "$f" 2>&1 > /dev/null)
		[ -z "$out" ] || { echo "$f: $out"; false; }
	done
}

@test "zsh completions: #compdef and valid syntax" {
	for t in $tools; do
		head -n 1 "$top/completions/zsh/_$t" | grep -qx "#compdef $t"
	done
	command -v zsh > /dev/null || skip "zsh not installed"
	for t in $tools; do
		zsh -n "$top/completions/zsh/_$t"
	done
}

# complete TOOL WORD...: COMPREPLY, one a line, for the words given (the
# last is the one completed), with bash-completion loaded.
complete_with_bash_completion() {
	bash -c 'source "$1" || exit 1
	    source "$2" || exit 1
	    complete -p "$3" > /dev/null || exit 1
	    shift 2
	    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
	    "_$1" "$1" "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]}"
	    printf "%s\n" "${COMPREPLY[@]}"' bash "$bc" \
	    "$top/completions/bash/$1" "$@"
}

@test "bash completion: fixdec -m Exec offers ExecutionReport" {
	bc=/usr/share/bash-completion/bash_completion
	[ -f "$bc" ] || skip "bash-completion not installed"
	run complete_with_bash_completion fixdec fixdec -m Exec
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" | grep -qx ExecutionReport
	# Without FIXUTIL_DICT_PATH the dictionaries next to the program.
	FIXUTIL_DICT_PATH= run complete_with_bash_completion fixdec \
	    fixdec -M D,Heart
	[ "$output" = "D,Heartbeat" ]
	run complete_with_bash_completion fixdec fixdec -e OrdStatusR
	[ "$output" = "OrdStatusReqID=" ]
	run complete_with_bash_completion fixenc fixenc -T ''
	[ "$(echo $output)" = "0 3 6 9" ]
}

@test "fixlock.1: every EXAMPLES command runs" {
	run_examples fixlock.1
}
