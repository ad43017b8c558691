#!/usr/bin/env bash
# Packaging, checked where it can be here:
#  - the tarball (scripts/package.sh, `make package`): its contents, the binary in it runs;
#  - the systemd unit: `systemd-analyze verify` with no warning at all (an unknown
#    or misspelled key is only a warning, so stderr must be empty) and the offline
#    exposure score of `systemd-analyze security`;
#  - the container file (no container engine runs here, so it is checked statically):
#    two Debian 12 slim stages, a non-root USER, a HEALTHCHECK on /healthz, a
#    VOLUME for the data, and a runtime package list that provides every shared
#    library the binary needs (sonames -> packages with dpkg -S) and nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${SREBOT_BIN:?SREBOT_BIN is required}"
work=$(mktemp -d "${TMPDIR:-/tmp}/srebot-pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the tarball ---
tarball=$(bash "$root/scripts/package.sh" "$SREBOT_BIN" "$work/dist")
version=$("$SREBOT_BIN" version | awk '{print $NF}')
arch=$(dpkg --print-architecture)
[ "$(basename "$tarball")" = "srebot-$version-$arch.tar.gz" ] || fail "tarball name $(basename "$tarball")"
tar -tzf "$tarball" > "$work/list"
for f in bin/srebot systemd/srebot.service systemd/srebot.env.example install.sh README.md \
         doc/operations.md doc/configuration.md doc/policy.md; do
  grep -qx "srebot-$version-$arch/$f" "$work/list" || fail "tarball lacks $f"
done
tar -xzf "$tarball" -C "$work"
pkg="$work/srebot-$version-$arch"
[ "$("$pkg/bin/srebot" version)" = "srebot $version" ] || fail "the packaged binary does not run"
[ -x "$pkg/install.sh" ] || fail "install.sh is not executable"
# The same inputs give the same archive (sorted, fixed owner and times).
again=$(bash "$root/scripts/package.sh" "$SREBOT_BIN" "$work/dist2")
cmp -s "$tarball" "$again" || fail "two package runs differ"

# --- the systemd unit ---
unit="$pkg/systemd/srebot.service"
for key in Type=notify NoNewPrivileges=yes DynamicUser=yes ProtectSystem=strict \
           StateDirectory=srebot PrivateTmp=yes ProtectHome=yes SystemCallFilter=@system-service \
           'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' MemoryMax= WatchdogSec=; do
  grep -q "^$key" "$unit" || fail "unit lacks $key"
done
# verify checks that ExecStart's binary exists: point it at the packaged one.
mkdir -p "$work/unit"
sed "s#^ExecStart=/usr/bin/srebot#ExecStart=$pkg/bin/srebot#" "$unit" > "$work/unit/srebot.service"
if ! systemd-analyze verify "$work/unit/srebot.service" > "$work/verify.out" 2>&1; then
  cat "$work/verify.out"; fail "systemd-analyze verify failed"
fi
[ ! -s "$work/verify.out" ] || { cat "$work/verify.out"; fail "systemd-analyze verify warned"; }
# Exposure 0 (locked down) .. 10 (unprotected); 2.0 or below is what the unit aims at.
systemd-analyze security --offline=yes --threshold=20 "$work/unit/srebot.service" > "$work/security.out" 2>&1 ||
  { tail -3 "$work/security.out"; fail "systemd-analyze security: exposure above 2.0"; }
grep -q "Overall exposure level" "$work/security.out" || fail "no exposure score"

# --- the container file (static) ---
python3 - "$root/deploy/container/Containerfile" "$SREBOT_BIN" <<'PY'
import re, subprocess, sys
path, binary = sys.argv[1], sys.argv[2]
text = open(path).read()
lines = text.replace("\\\n", " ").splitlines()
stages = [l for l in lines if l.startswith("FROM ")]
assert len(stages) == 2, f"two stages expected, got {stages}"
assert all(s.split()[1] == "debian:12-slim" for s in stages), stages
assert "AS build" in stages[0] and "cmake --build" in text, "the first stage builds with cmake"
runtime = text.split("AS runtime", 1)[1].replace("\\\n", " ")
user = re.findall(r"^USER\s+(\S+)", runtime, re.M)
assert user, "no USER in the runtime stage"
uid = user[-1].split(":")[0]
assert uid not in ("0", "root"), f"USER {uid} is root"
assert re.search(r"^HEALTHCHECK .*?/healthz", runtime, re.M), "HEALTHCHECK on /healthz"
assert re.search(r"^VOLUME\s", runtime, re.M), "a VOLUME for the data"
assert re.search(r"^COPY --from=build \S*srebot /usr/bin/srebot", runtime, re.M), "the binary"
block = runtime[runtime.index("runtime-packages-begin"):runtime.index("runtime-packages-end")]
block = block.split("--no-install-recommends", 1)[1].split("&&", 1)[0]
listed = set(block.replace("\\", " ").split())
# The binary's own NEEDED libraries (ldd would add the libraries' dependencies,
# which apt installs with them). The test build's sanitizer runtimes are not in a
# release build; libc6 and libgcc-s1 are in every Debian image.
needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(["objdump", "-p", binary],
                    capture_output=True, text=True, check=True).stdout)
base = {"libc6", "libgcc-s1"}
sonames = [so for so in needed if not so.startswith(("libasan", "libubsan"))]
# One dpkg -S for all: "pkg:arch: /path/soname" lines (a path may be listed by
# several packages, e.g. a -dev one for the .so link: the soname is exact here).
owners = subprocess.run(["dpkg", "-S"] + ["*/" + so for so in sonames],
                        capture_output=True, text=True).stdout
# The loader's choice (ldd) names the directory: x86_64-linux-gnu/libm.so.6, not lib32/.
ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
tail = {so: "/".join(path.split("/")[-2:]) for so, path in re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M)}
want = set()
for so in sonames:
    pkgs = {l.split(":")[0] for l in owners.splitlines() if l.endswith("/" + tail.get(so, so))}
    assert pkgs, f"no Debian package provides {so}"
    want |= {p for p in pkgs if p not in base}
missing = want - listed
assert not missing, f"runtime stage lacks {sorted(missing)} (needed by {binary})"
extra = {p for p in listed if p.startswith("lib")} - want
assert not extra, f"runtime stage lists libraries the binary does not need: {sorted(extra)}"
print("container file: runtime packages", sorted(want), "USER", uid)
PY
echo "packaging: ok ($(basename "$tarball"))"
