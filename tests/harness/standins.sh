#!/bin/sh
# Recording stand-in for package managers, network tools and compilers (dockslim behaviour harness).
# Every call appends a record under /.harness/calls/N/ (argv, cwd, umask, environment, the daemons
# running when it was made) -- the player collects them after each RUN -- then models what the real
# tool leaves on disk, caches included, because the cache-cleanup pass is judged on exactly those
# files. Daemons (mysqld_safe, `service x start` ...) stay alive until the RUN ends.
# /.harness/state holds "OFFSET FAIL_AT": call number OFFSET+N fails (exit 1) when it equals FAIL_AT.

__name=${0##*/}

# An interpreter given no program file reads its program from stdin to the end before it runs
# (`curl -fsSL https://getcomposer.org/installer | php -- --install-dir=...`). So does this stand-in,
# *before* it takes a call number: a pipeline of stand-ins then records its calls upstream first,
# every time, instead of in whichever order the processes happen to start.
reads_program() {
    case $__name in python|python3|node|ruby|php|perl) ;; *) return 1 ;; esac
    __skip=
    for __a do
        if [ -n "$__skip" ]; then __skip=; continue; fi
        case $__a in
            -) return 0 ;;
            --) [ "$__name" = php ] && return 0; return 1 ;;  # php -- ARGS: program from stdin
            -c|-m|-e|-r|-E|-R|-B|-F|-p|-v|-V|--version|-h|--help|-i|--eval|--print|-f|-l) return 1 ;;
            -W|-X|-d) __skip=1 ;;  # options that take a value
            -*) ;;
            *) return 1 ;;  # a program file
        esac
    done
    return 0
}
if reads_program "$@"; then cat >"/.harness/stdin.$$"; rm -f "/.harness/stdin.$$"; fi  # (no /dev here)

__n=1
while ! mkdir "/.harness/calls/$__n" 2>/dev/null; do __n=$((__n + 1)); done
__rec=/.harness/calls/$__n
printf '%s\0' "$__name" "$@" >"$__rec/argv"
pwd -P >"$__rec/cwd"
umask >"$__rec/umask"
env -0 >"$__rec/env"
for __d in /.harness/daemons/*; do [ -e "$__d" ] && cat "$__d"; done >"$__rec/daemons"
read __offset __fail_at </.harness/state
if [ "$((__offset + __n))" = "$__fail_at" ]; then
    echo "harness: injected failure of call $((__offset + __n)): $__name $*" >&2
    exit 1
fi

HOME=${HOME:-/root}

die() { code=$1; shift; echo "$__name: $*" >&2; exit "$code"; }
mark() { mkdir -p "$(dirname "$1")" && printf '%s\n' "$2" >"$1"; }
pkg_name() { p=${1%%=*}; p=${p%%/*}; echo "$p"; }  # apt's pkg=1.2 and pkg/bookworm

# --- apt-get / apt ---------------------------------------------------------------------------
apt_lists_present() {
    for f in /var/lib/apt/lists/*_Packages; do [ -e "$f" ] && return 0; done
    return 1
}
standin_apt() {
    sub= pkgs= yes= recommends=1 skip=
    for a do
        if [ -n "$skip" ]; then
            case $a in *Assume-Yes=true*|*Assume-Yes=1*) yes=1 ;; *Install-Recommends=false*|*Install-Recommends=0*) recommends= ;; esac
            skip=; continue
        fi
        case $a in
            -o|-t|-c|--option|--target-release|--config-file) skip=1 ;;
            -y|--yes|--assume-yes|-qq|-q=2|-yq|-qy|-yqq|-qqy) yes=1 ;;
            --no-install-recommends) recommends= ;;
            -*) ;;
            *) if [ -z "$sub" ]; then sub=$a; else pkgs="$pkgs $(pkg_name "$a")"; fi ;;
        esac
    done
    case $sub in
        update)
            mkdir -p /var/lib/apt/lists/partial
            printf 'Origin: Debian\nSuite: stable\n' >/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease
            printf 'Package: standin\n' >/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages
            : >/var/lib/apt/lists/lock
            mkdir -p /var/cache/apt
            printf 'pkgcache\n' >/var/cache/apt/pkgcache.bin
            printf 'srcpkgcache\n' >/var/cache/apt/srcpkgcache.bin
            ;;
        install|reinstall)
            for p in $pkgs; do
                if ! apt_lists_present; then die 100 "E: Unable to locate package $p"; fi
                case $p in *-missing) die 100 "E: Unable to locate package $p" ;; esac
            done
            if [ -n "$pkgs" ] && [ -z "$yes" ]; then
                echo "Do you want to continue? [Y/n] Abort." >&2; exit 1
            fi
            for p in $pkgs; do
                mark "/var/cache/apt/archives/${p}_1.0_amd64.deb" "deb $p"
                mark "/usr/share/doc/$p/copyright" "$p"
                mark "/var/lib/dpkg/info/$p.list" "/usr/share/doc/$p"
                if ! grep -qx "Package: $p" /var/lib/dpkg/status; then
                    printf 'Package: %s\nStatus: install ok installed\n\n' "$p" >>/var/lib/dpkg/status
                fi
                if [ -n "$recommends" ]; then
                    mark "/var/cache/apt/archives/${p}-recommended_1.0_amd64.deb" "deb $p-recommended"
                    mark "/usr/share/doc/$p-recommended/copyright" "$p-recommended"
                fi
            done
            ;;
        remove|purge)
            for p in $pkgs; do rm -rf "/usr/share/doc/$p" "/var/lib/dpkg/info/$p.list"; done ;;
        clean|autoclean)
            rm -rf /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/* /var/cache/apt/*.bin ;;
        upgrade|dist-upgrade|full-upgrade|autoremove|build-dep|source|download|check) ;;
        "") die 1 "E: No command given" ;;
        *) die 100 "E: Invalid operation $sub" ;;
    esac
}

# --- apk -------------------------------------------------------------------------------------
standin_apk() {
    sub= pkgs= cache=1 update= skip=
    for a do
        if [ -n "$skip" ]; then skip=; continue; fi
        case $a in
            --virtual|-t|--repository|-X|--root|-p|--arch|--repositories-file|--keys-dir) skip=1 ;;
            --no-cache) cache= ;;
            -U|--update-cache|--update) update=1 ;;
            -*) ;;
            *) if [ -z "$sub" ]; then sub=$a; else pkgs="$pkgs ${a%%[=<>~]*}"; fi ;;
        esac
    done
    case $sub in
        update) mark /var/cache/apk/APKINDEX.standin.tar.gz "index" ;;
        add)
            if [ -n "$cache" ]; then mark /var/cache/apk/APKINDEX.standin.tar.gz "index"; fi
            for p in $pkgs; do
                case $p in *-missing) die 1 "ERROR: unable to select packages: $p (no such package)" ;; esac
            done
            for p in $pkgs; do
                mark "/usr/share/doc/$p/installed" "$p"
                mkdir -p /lib/apk/db && echo "P:$p" >>/lib/apk/db/installed
            done
            ;;
        del) for p in $pkgs; do rm -rf "/usr/share/doc/$p"; done ;;
        cache) rm -rf /var/cache/apk/* ;;
        upgrade|fix|info|search|version|policy|stats) ;;
        *) die 1 "unknown command $sub" ;;
    esac
}

# --- dnf / yum / microdnf ----------------------------------------------------------------------
standin_dnf() {
    sub= pkgs= skip=
    for a do
        if [ -n "$skip" ]; then skip=; continue; fi
        case $a in
            --setopt|--enablerepo|--disablerepo|--installroot) skip=1 ;;
            -*) ;;
            *) if [ -z "$sub" ]; then sub=$a; else pkgs="$pkgs $a"; fi ;;
        esac
    done
    cache=/var/cache/$__name
    [ "$__name" = microdnf ] && cache=/var/cache/yum
    case $sub in
        install|reinstall|groupinstall)
            for p in $pkgs; do
                mark "$cache/packages/$p.rpm" "rpm $p"
                mark "/usr/share/doc/$p/installed" "$p"
            done ;;
        makecache|update|upgrade) mark "$cache/repodata/repomd.xml" "repomd" ;;
        clean) rm -rf "${cache:?}"/* ;;
        remove|erase) for p in $pkgs; do rm -rf "/usr/share/doc/$p"; done ;;
    esac
}

# --- pip / python -m pip ------------------------------------------------------------------------
site_packages() {
    case $0 in
        */bin/pip*|*/bin/python*)
            case ${0%/bin/*} in /usr|/usr/local|"") ;; *) echo "${0%/bin/*}/lib/python3.11/site-packages"; return ;; esac ;;
    esac
    echo /usr/local/lib/python3.11/site-packages
}
pip_cache_dir() {
    if [ -n "$PIP_NO_CACHE_DIR" ]; then return; fi
    echo "${PIP_CACHE_DIR:-$HOME/.cache/pip}"
}
requirement_names() {
    # name part of each requirement line: comments, options, markers, extras and versions removed
    sed -e 's/#.*//' -e '/^[[:space:]]*-/d' -e 's/[[:space:]]*;.*//' -e 's/[[<>=!~ ].*//' "$1" | grep -v '^[[:space:]]*$'
}
standin_pip() {
    sub= pkgs= reqs= skip= cache=$(pip_cache_dir) site=$(site_packages) target=
    for a do
        case $skip in
            req) reqs="$reqs $a"; skip=; continue ;;
            cache) cache=$a; skip=; continue ;;
            target) target=$a; skip=; continue ;;
            editable) pkgs="$pkgs $(basename "$(cd "$a" 2>/dev/null && pwd -P || echo "$a")")"; skip=; continue ;;
            1) skip=; continue ;;
        esac
        case $a in
            -r|--requirement) skip=req ;;
            -r*) reqs="$reqs ${a#-r}" ;;
            --requirement=*) reqs="$reqs ${a#*=}" ;;
            --cache-dir) skip=cache ;;
            --cache-dir=*) cache=${a#*=} ;;
            --no-cache-dir) cache= ;;
            -t|--target) skip=target ;;
            -e|--editable) skip=editable ;;
            --user) site=$HOME/.local/lib/python3.11/site-packages ;;
            -c|--constraint|-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host|--prefix|--root|--progress-bar|--platform|--python-version|--only-binary|--no-binary|-d|--dest) skip=1 ;;
            -*) ;;
            *) if [ -z "$sub" ]; then sub=$a; else pkgs="$pkgs ${a%%[[<>=!~;]*}"; fi ;;
        esac
    done
    [ -n "$target" ] && site=$target
    case $sub in
        install|download|wheel)
            for r in $reqs; do
                [ -f "$r" ] || die 1 "ERROR: Could not open requirements file: [Errno 2] No such file or directory: '$r'"
                pkgs="$pkgs $(requirement_names "$r" | tr '\n' ' ')"
            done
            for p in $pkgs; do
                case $p in *-missing) die 1 "ERROR: No matching distribution found for $p" ;; esac
            done
            for p in $pkgs; do
                p=$(echo "$p" | tr 'A-Z_' 'a-z-')
                if [ -n "$cache" ]; then mark "$cache/http-v2/$p.body" "wheel $p"; fi
                [ "$sub" = install ] && mark "$site/$p-1.0.dist-info/RECORD" "$p"
            done ;;
        uninstall) for p in $pkgs; do rm -rf "$site/$p-1.0.dist-info"; done ;;
        cache) [ -n "$cache" ] && rm -rf "${cache:?}"/* ;;
        freeze|list|show|check|config|--version|"") ;;
    esac
}
standin_python() {
    if [ "$1" = -m ]; then
        case $2 in
            pip) shift 2; standin_pip "$@"; return ;;
            venv|virtualenv)
                shift 2
                for d do case $d in -*) ;; *)
                    mkdir -p "$d/bin" "$d/lib/python3.11/site-packages"
                    for t in python python3 pip pip3; do ln -sf /.harness/standin "$d/bin/$t"; done
                    mark "$d/pyvenv.cfg" "home = /usr/local/bin" ;;
                esac done
                return ;;
        esac
    fi
}

# --- node: npm / yarn -----------------------------------------------------------------------------
standin_npm() {
    sub= sub2= pkgs= global= force= skip= cache=${npm_config_cache:-$HOME/.npm}
    for a do
        if [ -n "$skip" ]; then [ "$skip" = cache ] && cache=$a; skip=; continue; fi
        case $a in
            -g|--global) global=1 ;;
            -f|--force) force=1 ;;
            --cache) skip=cache ;;
            --cache=*) cache=${a#*=} ;;
            --prefix|--registry|--omit|--only) skip=1 ;;
            -*) ;;
            *) if [ -z "$sub" ]; then sub=$a; elif [ -z "$sub2" ]; then sub2=$a; pkgs="$pkgs $a"; else pkgs="$pkgs $a"; fi ;;
        esac
    done
    modules=node_modules
    [ -n "$global" ] && modules=/usr/local/lib/node_modules
    case $sub in
        ci)
            [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ] || die 1 "npm ERR! The \`npm ci\` command can only install with an existing package-lock.json"
            rm -rf node_modules
            set -- ;;
        install|i|add)
            if [ -z "$pkgs" ] && [ -z "$global" ]; then
                [ -f package.json ] || die 254 "npm ERR! enoent Could not read package.json"
            fi ;;
        cache)
            if [ "$sub2" = clean ]; then
                [ -n "$force" ] || die 1 "npm ERR! As of npm@5, the npm cache self-heals. Use --force."
                rm -rf "$cache/_cacache"
            fi
            return ;;
        *) return ;;
    esac
    [ -z "$pkgs" ] && pkgs=$( [ -f package.json ] && sed -n 's/^[[:space:]]*"\([^"]*\)":[[:space:]]*"[~^0-9*].*/\1/p' package.json | tr '\n' ' ')
    mark "$cache/_cacache/index-v5/standin" "$pkgs"
    mark "$cache/_logs/standin-debug.log" "npm $sub"
    for p in $pkgs; do mark "$modules/$p/package.json" "{\"name\":\"$p\"}"; done
    [ -z "$global" ] && mark node_modules/.package-lock.json "{}"
    return 0
}
standin_yarn() {
    sub=${1:-install}
    cache=${YARN_CACHE_FOLDER:-/usr/local/share/.cache/yarn}
    case $sub in
        install|add|--frozen-lockfile|--production)
            [ -f package.json ] || die 1 "error Couldn't find a package.json file in \"$(pwd)\""
            mark "$cache/v6/standin" "yarn cache"
            mark node_modules/.yarn-integrity "{}" ;;
        cache) [ "$2" = clean ] && rm -rf "$cache" ;;
    esac
}

# --- ruby: gem / bundle -----------------------------------------------------------------------
standin_gem() {
    [ "$1" = install ] || return 0
    shift
    docs=1 skip=
    gems=/usr/local/lib/ruby/gems/3.2.0
    for a do
        if [ -n "$skip" ]; then skip=; continue; fi
        case $a in
            --no-document|-N|--no-ri|--no-rdoc) docs= ;;
            -v|--version|--source|-i|--install-dir) skip=1 ;;
            -*) ;;
            *) mark "$gems/gems/$a-1.0/lib/$a.rb" "$a"
               mark "$gems/cache/$a-1.0.gem" "gem $a"
               [ -n "$docs" ] && mark "$gems/doc/$a-1.0/ri/cache.ri" "$a" ;;
        esac
    done
}
standin_bundle() {
    case $1 in
        install|"")
            [ -f Gemfile ] || die 10 "Could not locate Gemfile"
            mark /usr/local/bundle/gems/standin/lib/bundled.rb "bundled"
            mark /usr/local/bundle/cache/standin.gem "gem" ;;
    esac
}

# --- network -----------------------------------------------------------------------------------
download_body() { printf '# harness stand-in download of %s\n' "$1"; }
standin_curl() {
    out= remote= url= next=
    for a do
        if [ "$next" = out ]; then out=$a; next=; continue; fi
        if [ -n "$next" ]; then next=; continue; fi
        case $a in
            --output) next=out ;;
            --remote-name) remote=1 ;;
            -H|--header|-d|--data|-u|--user|-A|-e|-X|--request|--retry|--max-time|-m|--connect-timeout|-w|--write-out|--proto|--tlsv1.2) next=1 ;;
            --*) ;;
            -*o) next=out ;;
            -*O*) remote=1 ;;
            -*) ;;
            *) url=$a ;;
        esac
    done
    [ -n "$url" ] || die 2 "curl: no URL specified"
    [ -n "$remote" ] && [ -z "$out" ] && out=${url##*/}
    if [ -n "$out" ] && [ "$out" != - ]; then download_body "$url" >"$out"; else download_body "$url"; fi
}
standin_wget() {
    out= url= next=
    for a do
        if [ "$next" = out ]; then out=$a; next=; continue; fi
        if [ -n "$next" ]; then next=; continue; fi
        case $a in
            -O|--output-document) next=out ;;
            --output-document=*) out=${a#*=} ;;
            -*O) next=out ;;
            -O*) out=${a#-O} ;;
            -*qO-|-qO-) out=- ;;
            --header|-U|--user-agent|-t|--tries|-T|--timeout|-P) next=1 ;;
            -*) ;;
            *) url=$a ;;
        esac
    done
    [ -n "$url" ] || die 1 "wget: missing URL"
    [ -z "$out" ] && out=${url##*/}
    if [ "$out" = - ]; then download_body "$url"; else download_body "$url" >"$out"; fi
}
standin_git() {
    [ "$1" = clone ] || return 0
    shift
    url= dir= skip=
    for a do
        if [ -n "$skip" ]; then skip=; continue; fi
        case $a in
            -b|--branch|--depth|-c|--config|--origin|-o) skip=1 ;;
            -*) ;;
            *) if [ -z "$url" ]; then url=$a; else dir=$a; fi ;;
        esac
    done
    [ -z "$dir" ] && { dir=${url##*/}; dir=${dir%.git}; }
    mark "$dir/.git/HEAD" "ref: refs/heads/main"
    mark "$dir/README" "clone of $url"
}

# --- compilers / builders ---------------------------------------------------------------------------
standin_compiler() {
    out= next=
    for a do
        if [ -n "$next" ]; then out=$a; next=; continue; fi
        case $a in -o) next=1 ;; -o*) out=${a#-o} ;; esac
    done
    if [ -n "$out" ]; then printf '#!/bin/sh\n# built by harness stand-in %s\n' "$__name" >"$out" && chmod 755 "$out"; fi
}
standin_go() {
    case $1 in
        build) shift; standin_compiler "$@" ;;
        mod) [ "$2" = download ] && mark "${GOMODCACHE:-${GOPATH:-$HOME/go}/pkg/mod}/cache/download/standin" "mod" ;;
        clean) case "$*" in *-modcache*) rm -rf "${GOMODCACHE:-${GOPATH:-$HOME/go}/pkg/mod}" ;; esac ;;
    esac
}
standin_composer() {
    case $1 in
        install|update|require)
            [ -f composer.json ] || [ "$1" = require ] || die 1 "Composer could not find a composer.json file in $(pwd)"
            mark "${COMPOSER_CACHE_DIR:-$HOME/.composer/cache}/files/standin.zip" "zip"
            mark vendor/autoload.php "<?php" ;;
        clear-cache|clearcache|cc) rm -rf "${COMPOSER_CACHE_DIR:-$HOME/.composer/cache}" ;;
    esac
}

# --- users and groups ----------------------------------------------------------------------------
next_id() { awk -F: -v min=1000 '$3 >= min && $3 < 60000 && $3 >= min { min = $3 + 1 } END { print min }' "$1"; }
standin_useradd() {
    name= uid= gid= home= shell=/bin/sh skip= create_home=
    for a do
        case $skip in
            u) uid=$a; skip=; continue ;;  g) gid=$a; skip=; continue ;;
            d) home=$a; skip=; continue ;; s) shell=$a; skip=; continue ;;
            1) skip=; continue ;;
        esac
        case $a in
            -u|--uid) skip=u ;; -g|-G|--gid|--ingroup) skip=g ;; -d|-h|--home|--home-dir) skip=d ;;
            -s|--shell) skip=s ;; -m|--create-home) create_home=1 ;;
            -c|--comment|--gecos|-g*|-k|-K|-e|-f) skip=1 ;;
            -*) ;;
            *) name=$a ;;
        esac
    done
    [ -n "$name" ] || die 2 "usage: $__name NAME"
    if grep -q "^$name:" /etc/passwd; then die 9 "user '$name' already exists"; fi
    [ -n "$uid" ] || uid=$(next_id /etc/passwd)
    if [ -z "$gid" ]; then
        if ! grep -q "^$name:" /etc/group; then echo "$name:x:$uid:" >>/etc/group; fi
        gid=$(awk -F: -v n="$name" '$1 == n { print $3 }' /etc/group)
    else
        case $gid in *[!0-9]*) gid=$(awk -F: -v n="$gid" '$1 == n { print $3 }' /etc/group) ;; esac
    fi
    [ -n "$home" ] || home=/home/$name
    echo "$name:x:$uid:$gid::$home:$shell" >>/etc/passwd
    case $__name in adduser) create_home=1 ;; esac
    if [ -n "$create_home" ]; then mkdir -p "$home" && chown "$uid:$gid" "$home"; fi
}
standin_groupadd() {
    name= gid= skip=
    for a do
        if [ -n "$skip" ]; then gid=$a; skip=; continue; fi
        case $a in -g|--gid) skip=1 ;; -*) ;; *) name=$a ;; esac
    done
    [ -n "$name" ] || die 2 "usage: $__name NAME"
    if grep -q "^$name:" /etc/group; then die 9 "group '$name' already exists"; fi
    [ -n "$gid" ] || gid=$(next_id /etc/group)
    echo "$name:x:$gid:" >>/etc/group
}

# --- daemons and their clients -------------------------------------------------------------------
# A daemon stand-in is a real process that stays alive: Docker stops it only when the RUN's container
# ends, and so does the player (it kills what a RUN leaves running and records it). While alive it is
# registered as /.harness/daemons/FAMILY.PID (holding the name it was started as), which every call
# records, so a command that runs while a daemon is up differs from one that runs without it. A client
# needs a daemon of its family. Foreground or background as the real tools: mysqld_safe, Xvfb and
# dockerd stay in the foreground (started with `&`); `mysqld --daemonize` (MySQL >= 5.7),
# `redis-server --daemonize yes`, `mongod --fork`, `pg_ctl start` and `service NAME start` return
# once the daemon runs; `--initialize`, `--version` and `--help` start nothing.
daemon_family() {
    case $1 in
        mysql*|mariadb*) echo mysql ;;
        postgres*|pg_*|psql|createdb|createuser) echo postgres ;;
        redis*) echo redis ;;
        mongo*) echo mongo ;;
        *) echo "$1" ;;
    esac
}
daemon_alive() {
    for __f in /.harness/daemons/"$1".*; do [ -e "$__f" ] && return 0; done
    return 1
}
start_daemon() {  # FAMILY NAME foreground|background
    if [ "$3" = foreground ]; then
        printf '%s\n' "$2" >"/.harness/daemons/$1.$$"
        exec /.harness/bin/sleep infinity
    fi
    (exec /.harness/bin/sleep infinity) </dev/null &
    printf '%s\n' "$2" >"/.harness/daemons/$1.$!"
}
stop_daemons() {  # FAMILY
    for __f in /.harness/daemons/"$1".*; do
        [ -e "$__f" ] || continue
        kill "${__f##*.}" 2>/dev/null
        rm -f "$__f"
    done
}
only_asks() {  # --version, --help, --initialize...: the tool answers and exits
    for a do
        case $a in -V|--version|--help|-\?|--initialize|--initialize-insecure) return 0 ;; esac
    done
    return 1
}
standin_daemon() {
    only_asks "$@" && return 0
    mode=foreground
    case $__name in
        mysqld|mariadbd) case " $* " in *" --daemonize "*|*" --daemonize=1 "*|*" --daemonize=ON "*) mode=background ;; esac ;;
        redis-server) case " $* " in *" --daemonize yes "*) mode=background ;; esac ;;
        mongod) case " $* " in *" --fork "*) mode=background ;; esac ;;
    esac
    start_daemon "$(daemon_family "$__name")" "$__name" "$mode"
}
standin_pg_ctl() {
    sub=
    for a do case $a in -*) ;; *) sub=$a; break ;; esac; done
    [ "$__name" = pg_ctlcluster ] && sub=$3
    case $sub in
        start) daemon_alive postgres || start_daemon postgres "$__name start" background ;;
        restart) stop_daemons postgres; start_daemon postgres "$__name restart" background ;;
        stop) stop_daemons postgres ;;
        status) daemon_alive postgres || exit 3 ;;
    esac
}
standin_service() {
    case $1 in --status-all|--full-restart|--help|--version|-h|"") return 0 ;; esac
    family=$(daemon_family "$1")
    case $2 in
        start) daemon_alive "$family" || start_daemon "$family" "service $1" background ;;
        restart|force-reload) stop_daemons "$family"; start_daemon "$family" "service $1" background ;;
        stop) stop_daemons "$family" ;;
        status) daemon_alive "$family" || exit 3 ;;
    esac
}
standin_client() {
    only_asks "$@" && return 0
    family=$(daemon_family "$__name")
    i=0  # a daemon started with `&` just before may not be up yet: wait for it up to half a second
    while ! daemon_alive "$family"; do
        [ "$i" -ge 10 ] && die 1 "cannot connect to the $family server: no $family daemon is running"
        /.harness/bin/sleep 0.05
        i=$((i + 1))
    done
    case " $* " in *" shutdown "*) stop_daemons "$family" ;; esac
}

case $__name in
    apt-get|apt) standin_apt "$@" ;;
    apk) standin_apk "$@" ;;
    dnf|yum|microdnf) standin_dnf "$@" ;;
    pip|pip3) standin_pip "$@" ;;
    python|python3) standin_python "$@" ;;
    npm) standin_npm "$@" ;;
    yarn) standin_yarn "$@" ;;
    gem) standin_gem "$@" ;;
    bundle|bundler) standin_bundle "$@" ;;
    curl) standin_curl "$@" ;;
    wget) standin_wget "$@" ;;
    git) standin_git "$@" ;;
    gcc|cc|g++|c++|clang|rustc) standin_compiler "$@" ;;
    go) standin_go "$@" ;;
    composer) standin_composer "$@" ;;
    useradd|adduser) standin_useradd "$@" ;;
    groupadd|addgroup) standin_groupadd "$@" ;;
    mysqld_safe|mariadbd-safe|mysqld|mariadbd|postgres|redis-server|mongod|Xvfb|dockerd) standin_daemon "$@" ;;
    pg_ctl|pg_ctlcluster) standin_pg_ctl "$@" ;;
    service) standin_service "$@" ;;
    mysqladmin|mysql|mariadb|mariadb-admin|psql|pg_isready|createdb|createuser|redis-cli|mongo|mongosh) standin_client "$@" ;;
    *) ;;  # recorded only: make, cargo, node, ...
esac
