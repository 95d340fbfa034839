#!/usr/bin/env bash
# Builds apify-runs-sync_<version>_<arch>.deb from a built binary, with dpkg-deb alone (no network,
# no debian/ source tree): the binary, the unit, the sysusers file, the configuration as a conffile,
# the man page, bash and zsh completion, the README and the licence.
#
#   packaging/build-deb.sh [--binary PATH] [--output DIR] [--no-strip] [--compression xz|gzip|none]
#
# The binary defaults to the release build (swift build -c release --static-swift-stdlib); it is
# stripped unless --no-strip. xz (the default) makes the smallest package, none the quickest.
# Prints the path of the package.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary="$root/.build/release/apify-runs-sync"
output="$root/.build"
strip=yes
compression=xz
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        --no-strip) strip=no; shift ;;
        --compression) compression=$2; shift 2 ;;
        -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "build-deb.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
if [ ! -x "$binary" ]; then
    echo "build-deb.sh: no binary at $binary: run 'swift build -c release --static-swift-stdlib' or pass --binary" >&2
    exit 66
fi

name=apify-runs-sync
version=$("$binary" --version)
arch=$(dpkg --print-architecture)
case "$version" in [0-9]*) ;; *) echo "build-deb.sh: '$binary --version' said '$version'" >&2; exit 65 ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
umask 022
put() { # put MODE SOURCE DESTINATION (inside the package)
    install -D -m "$1" "$2" "$stage/$3"
}

install -d -m 0755 "$stage/usr/bin"
if [ "$strip" = yes ]; then
    strip --strip-unneeded -o "$stage/usr/bin/$name" "$binary"
    chmod 0755 "$stage/usr/bin/$name"
else
    put 0755 "$binary" "usr/bin/$name"
fi
put 0644 "$root/systemd/$name.service" "usr/lib/systemd/system/$name.service"
put 0644 "$root/systemd/$name.sysusers.conf" "usr/lib/sysusers.d/$name.conf"
install -d -m 0750 "$stage/etc/$name"
put 0640 "$root/config.example.json" "etc/$name/config.json"
install -d -m 0755 "$stage/usr/share/man/man1"
gzip -9n < "$root/docs/$name.1" > "$stage/usr/share/man/man1/$name.1.gz"
chmod 0644 "$stage/usr/share/man/man1/$name.1.gz"
install -d -m 0755 "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions"
"$binary" --generate-completion-script bash > "$stage/usr/share/bash-completion/completions/$name"
"$binary" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_$name"
chmod 0644 "$stage/usr/share/bash-completion/completions/$name" "$stage/usr/share/zsh/vendor-completions/_$name"
put 0644 "$root/README.md" "usr/share/doc/$name/README.md"
put 0644 "$root/LICENSE" "usr/share/doc/$name/LICENSE"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: $name"
    echo
    echo "Files: *"
    echo "License: MIT"
    sed -e 's/^$/./' -e 's/^/ /' "$root/LICENSE"
} > "$stage/usr/share/doc/$name/copyright"
chmod 0644 "$stage/usr/share/doc/$name/copyright"

# Depends: the Debian packages that hold the shared libraries the binary loads. A library that no
# package holds (the Swift runtime of a build without --static-swift-stdlib) is named, not depended on.
depends=()
unpackaged=()
while read -r library; do
    package=""
    for candidate in "$library" "$(readlink -f "$library")" "/usr$library"; do
        package=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$package" ] && break
    done
    if [ -n "$package" ]; then depends+=("$package"); else unpackaged+=("$library"); fi
done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
if [ ${#unpackaged[@]} -gt 0 ]; then
    echo "build-deb.sh: warning: the binary loads libraries no Debian package provides (build it with --static-swift-stdlib):" >&2
    printf '  %s\n' "${unpackaged[@]}" >&2
fi
depends_field=$(printf '%s\n' "${depends[@]}" | sort -u | paste -sd, - | sed 's/,/, /g')

install -d -m 0755 "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: apify-runs-sync maintainers <apify-runs-sync@users.noreply.github.com>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends_field
Recommends: sqlite3
Section: admin
Priority: optional
Homepage: https://github.com/apify-runs-sync
Description: local SQLite copy of Apify Actor and task runs
 A daemon that polls the run lists of Apify tasks, Actors or a whole account
 through the Apify API and keeps every run, and every status change it
 observes, in an SQLite database; each new failure is logged once. It runs as
 a hardened systemd service (Type=notify, watchdog) as the user
 apify-runs-sync. The service is not started until an API token exists: see
 /usr/share/doc/apify-runs-sync/README.md.
CONTROL
echo "/etc/$name/config.json" > "$stage/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$root/packaging/$script" "$stage/DEBIAN/$script"
done

mkdir -p "$output"
package="$output/${name}_${version}_${arch}.deb"
dpkg-deb --root-owner-group "-Z$compression" --build "$stage" "$package" >/dev/null
echo "$package"
