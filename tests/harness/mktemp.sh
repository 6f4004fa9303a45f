#!/bin/sh
# Deterministic mktemp for the harness: the n-th call of a build gets the n-th name, so two builds
# that make the same calls create the same paths (a real mktemp's random names would differ).
dir=0; tmpdir=; template=; use_tmpdir=0
while [ $# -gt 0 ]; do
    case "$1" in
        -d|--directory) dir=1 ;;
        -q|--quiet|-u|--dry-run) ;;
        -t) use_tmpdir=1 ;;
        -p) shift; tmpdir="$1"; use_tmpdir=1 ;;
        --tmpdir) use_tmpdir=1 ;;
        --tmpdir=*) tmpdir="${1#--tmpdir=}"; use_tmpdir=1 ;;
        --suffix=*) ;;
        -*) ;;
        *) template="$1" ;;
    esac
    shift
done
[ -n "$template" ] || { template=tmp.XXXXXXXXXX; use_tmpdir=1; }
n=$(cat /.harness/mktemp 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > /.harness/mktemp
stem="${template%%XXX*}"
xs="${template#"$stem"}"
width=${#xs}
[ "$width" -ge 3 ] || { echo "mktemp: too few X's in template '$template'" >&2; exit 1; }
name="$stem$(printf "%0${width}d" "$n")"
if [ "$use_tmpdir" = 1 ] && [ "${name#/}" = "$name" ]; then
    name="${tmpdir:-${TMPDIR:-/tmp}}/$name"
fi
if [ "$dir" = 1 ]; then mkdir -m 700 "$name" || exit 1; else (umask 077 && : > "$name") || exit 1; fi
echo "$name"
