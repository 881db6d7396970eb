#!/usr/bin/env bash
# The container engine of `make image-test`, and everything about the build machine that building and
# running the image needs. It is all here, so the Dockerfile stays a normal Dockerfile and
# image_tests/ stays engine-neutral.
#
#   scripts/container-engine.sh build TAG    build the Dockerfile into TAG
#   scripts/container-engine.sh base         only make sure the Dockerfile's base image is in local storage
#   scripts/container-engine.sh ARGS...      the engine's own command: run, exec, logs, inspect, rm...
#
# Docker when a Docker engine answers (`docker info`). Otherwise rootful podman from Debian, set up as
# these machines need it:
#   - runc, not crun: crun refuses this kernel's hybrid cgroup layout;
#   - overlay storage in /var/lib/containers, which keeps the base image and the build cache between runs;
#   - ulimits capped (nofile 20000, nproc 32768): without CAP_SYS_RESOURCE podman cannot raise them;
#   - a configuration of our own (CONTAINERS_CONF, under var/), so /etc/containers is left alone;
#   - no registry is reachable, so no base image can be pulled: when the Dockerfile's base is not in
#     local storage, an offline stand-in is made under that name (debootstrap of Debian bookworm from
#     this machine's apt mirror, plus a CPython 3.11 of this machine copied to /usr/local as the official
#     python image lays it out) and kept in podman's storage, so only the first run pays for it;
#   - pip in the build reaches the package index only with this machine's CA bundle and settings: they
#     are passed as build secrets, which no layer keeps.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE="$ROOT/var/container-engine"
# A CPython 3.11 of at least 3.11.3 for the stand-in base (Debian's 3.11.2 is older than the one
# requirements.txt was frozen on: redis 8 then wants async-timeout, which the file rightly omits).
STANDIN_PYTHON=${STANDIN_PYTHON:-$(ls -d /root/.pyenv/versions/3.11.* 2>/dev/null | sort -V | tail -1)}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

die() {
  echo "error: $*" >&2
  exit 1
}

mkdir -p "$STATE"
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  ENGINE=(docker)
else
  if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
    echo "Installing Debian's podman, runc and debootstrap (no Docker engine answers here)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends podman runc debootstrap; } >/tmp/container-engine-apt.log 2>&1 \
      || die "could not install podman, runc and debootstrap (see /tmp/container-engine-apt.log)"
  fi
  cat >"$STATE/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  cat >"$STATE/storage.conf" <<'EOF'
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
  export CONTAINERS_CONF="$STATE/containers.conf" CONTAINERS_STORAGE_CONF="$STATE/storage.conf"
  ENGINE=(podman)
fi

# This machine's value of one pip setting (PIP_<NAME> or its configuration files), or nothing.
pip_setting() {
  local variable="PIP_${1^^}"
  variable=${variable//-/_}
  if [[ -n ${!variable:-} ]]; then
    echo "${!variable}"
  else
    "$ROOT/.venv/bin/pip" config get "global.$1" 2>/dev/null || true
  fi
}

# The pip configuration the build's pip needs here: the package index, its hosts and this machine's CA
# bundle (mounted as the secret ca-certificates). Local paths (find-links, constraints) stay out.
write_pip_conf() {
  local name value
  echo "[global]"
  for name in index-url extra-index-url trusted-host timeout default-timeout proxy; do
    value=$(pip_setting "$name" | tr ' ' '\n' | { grep -v -e '^file:' -e '^/' || true; } | paste -sd' ')
    [[ -n $value ]] && echo "$name = $value"
  done
  echo "cert = /run/secrets/ca-certificates"
}

# The Debian mirror apt uses on this machine.
debian_mirror() {
  { grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'; } | grep -v security | head -1
}

# The Debian packages holding the shared libraries the stand-in's Python loads (tkinter left out).
python_runtime_packages() {
  local library
  ls "$STANDIN_PYTHON/bin/python3.11" "$STANDIN_PYTHON"/lib/libpython3*.so* "$STANDIN_PYTHON"/lib/python3.11/lib-dynload/*.so \
    | grep -v _tkinter | xargs ldd 2>/dev/null | awk '/=> \// {print $3}' | sort -u \
    | while read -r library; do
      library=$(realpath "$library")
      [[ $library == "$STANDIN_PYTHON"/* ]] && continue
      dpkg -S "$library" 2>/dev/null || dpkg -S "${library#/usr}" 2>/dev/null || true
    done | cut -d: -f1 | sort -u | paste -sd,
}

# An offline stand-in for the official python:3.11-slim-bookworm image, named IMAGE.
make_standin_base() {
  local image=$1 version mirror
  [[ -x $STANDIN_PYTHON/bin/python3.11 ]] || die "no CPython 3.11 for the stand-in base (set STANDIN_PYTHON)"
  version=$("$STANDIN_PYTHON/bin/python3.11" -c 'import platform; print(platform.python_version())')
  printf '3.11.3\n%s\n' "$version" | sort -V -C || die "the stand-in needs CPython 3.11.3 or later, not $version"
  mirror=$(debian_mirror)
  [[ -n $mirror ]] || die "no Debian mirror in /etc/apt/sources.list*"
  echo "No $image in local storage and no registry to pull it from: making a stand-in (Debian bookworm" \
    "from $mirror, CPython $version); this takes several minutes, once" >&2
  rootfs=$(mktemp -d /var/tmp/standin-base.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include="ca-certificates,netbase,tzdata,$(python_runtime_packages)" \
    bookworm "$rootfs" "$mirror" >"$STATE/debootstrap.log" 2>&1 || die "debootstrap failed (see $STATE/debootstrap.log)"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -f "$rootfs/etc/apt/sources.list"
  # As the official image: the interpreter, its library and headers under /usr/local, no tests, no
  # static library, no tkinter/IDLE, pip and setuptools from ensurepip.
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib" "$rootfs/usr/local/include"
  cp -a "$STANDIN_PYTHON/bin/python3.11" "$rootfs/usr/local/bin/"
  ln -s python3.11 "$rootfs/usr/local/bin/python3"
  ln -s python3 "$rootfs/usr/local/bin/python"
  cp -a "$STANDIN_PYTHON"/lib/libpython3* "$rootfs/usr/local/lib/"
  cp -a "$STANDIN_PYTHON/include/python3.11" "$rootfs/usr/local/include/"
  tar -C "$STANDIN_PYTHON/lib" -c \
    --exclude='python3.11/site-packages/*' --exclude=test --exclude=tests --exclude=idle_test \
    --exclude=tkinter --exclude=idlelib --exclude=turtledemo --exclude='_tkinter*' \
    --exclude=__pycache__ --exclude='libpython*.a' python3.11 | tar -C "$rootfs/usr/local/lib" -x
  chroot "$rootfs" /sbin/ldconfig
  chroot "$rootfs" /usr/local/bin/python3 -m ensurepip --default-pip >/dev/null
  chroot "$rootfs" /usr/local/bin/python3 -m compileall -q /usr/local/lib/python3.11 >/dev/null || true
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  tar -C "$rootfs" -c . | "${ENGINE[@]}" import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PYTHON_VERSION=$version" \
    --change 'CMD ["python3"]' \
    --message "offline stand-in for the official python image: Debian bookworm and CPython $version" \
    - "$image" >/dev/null
}

# The Dockerfile's base image (ARG PYTHON_IMAGE) as podman names it in local storage, made when missing.
ensure_base() {
  local base
  base=$(sed -n 's/^ARG PYTHON_IMAGE=//p' "$ROOT/Dockerfile")
  [[ -n $base ]] || die "the Dockerfile has no ARG PYTHON_IMAGE=..."
  "${ENGINE[@]}" image exists "localhost/$base" || make_standin_base "localhost/$base"
  echo "localhost/$base"
}

build() {
  local tag=$1 options=()
  if [[ ${ENGINE[0]} == podman ]]; then
    # --format docker: the OCI format has no HEALTHCHECK, and podman would drop it.
    options=(--pull=never --format docker --build-arg PYTHON_IMAGE="$(ensure_base)")
  fi
  write_pip_conf >"$STATE/pip.conf"
  "${ENGINE[@]}" build "${options[@]}" --network host --tag "$tag" \
    --secret id=pip.conf,src="$STATE/pip.conf" --secret id=ca-certificates,src="$CA_BUNDLE" "$ROOT"
}

if [[ ${1:-} == build ]]; then
  [[ $# == 2 ]] || die "usage: scripts/container-engine.sh build TAG"
  build "$2"
elif [[ ${1:-} == base ]]; then
  [[ ${ENGINE[0]} == docker ]] || ensure_base >/dev/null
else
  exec "${ENGINE[@]}" "$@"
fi
