#!/usr/bin/env bash
# Checks the Dockerfile without a Docker engine: reads it instruction by
# instruction and runs its build steps on this machine, each stage in a
# scratch folder standing in for the image's filesystem. COPY copies from the
# build context as .dockerignore leaves it (scripts/dockerignore-context.mjs)
# or from an earlier stage's folder; WORKDIR, ENV, USER and ENTRYPOINT are
# followed; RUN runs its npm steps for real and checks its apt-get steps
# against this machine's Debian (the packages must be in its archive and
# installed here, the stand-in for the image). Then the final stage's
# entrypoint runs with --help and --version, koffi and libnftables.so.1 load
# from its node_modules, and no dev dependency is there.
# What this cannot check (pulling the base image, apt inside it, file
# ownership and layers) is in docs/image.md.
#
# Usage: scripts/check-dockerfile.sh [SCRATCH_DIR]   (default: a new folder under /tmp, removed on success)
# Needs Node 24 (the first node on PATH, or the `node` dev dependency after npm ci), npm, and network or
# npm's cache for `npm ci`. Exit 0: every step ran and every check passed; 1: a check failed; 2: usage.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
# The build context (and its Dockerfile and .dockerignore): this repository, or CHECK_CONTEXT (the tests' broken copies).
ROOT=${CHECK_CONTEXT:-$REPO}
DOCKERFILE=$ROOT/Dockerfile
KEEP=0
if [ $# -gt 1 ]; then echo "usage: $0 [SCRATCH_DIR]" >&2; exit 2; fi
if [ $# -eq 1 ]; then SCRATCH=$1; KEEP=1; mkdir -p "$SCRATCH"; else SCRATCH=$(mktemp -d /tmp/nftpol-image-check.XXXXXX); fi

trap '[ "$KEEP" = 1 ] || rm -rf "$SCRATCH"' EXIT
say() { printf '%s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
unchecked=()

# Node 24 plays the base image's node.
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
NODE=$(command -v node || true)
if [ -z "$NODE" ] || [ "$(node_major "$NODE")" -lt 24 ]; then NODE=$REPO/node_modules/node/bin/node; fi
[ -x "$NODE" ] && [ "$(node_major "$NODE")" -ge 24 ] || fail "no Node 24 here (nor node_modules/node: run npm ci)"
export PATH="$(dirname "$NODE"):$PATH"
say "node $(node --version), npm $(npm --version) stand in for the base image's"

# The build context, as .dockerignore leaves it.
CONTEXT=$SCRATCH/context
rm -rf "$CONTEXT"
node "$REPO/scripts/dockerignore-context.mjs" "$ROOT" "$CONTEXT" > "$SCRATCH/context.txt"
say "build context: $(wc -l < "$SCRATCH/context.txt") files after .dockerignore"

# Instructions: continuation lines joined, comments and blank lines dropped.
mapfile -t INSTRUCTIONS < <(sed -e 's/\r$//' "$DOCKERFILE" | awk '
  /^[[:space:]]*#/ { next }
  { line = line $0 }
  /\\$/ { sub(/\\$/, "", line); next }
  { if (line ~ /[^[:space:]]/) print line; line = "" }')

declare -A ARGS=() STAGE_DIR=()
stage=-1; STAGE_ROOT=""; WORKDIR=/; USER_SET=""; ENTRYPOINT=""; IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
declare -A STAGE_ENV=()

expand() { # ARG and ENV references in an instruction's words
  local s=$1 k
  for k in "${!ARGS[@]}"; do s=${s//\$\{$k\}/${ARGS[$k]}}; s=${s//\$$k/${ARGS[$k]}}; done
  printf '%s' "$s"
}

in_stage() { printf '%s%s' "$STAGE_ROOT" "$1"; } # an image path inside the stage's folder
abs() { # an image path, relative ones from WORKDIR, without "." elements
  local p
  case $1 in /*) p=$1 ;; *) p=${WORKDIR%/}/$1 ;; esac
  p=$(printf '%s' "$p" | sed -e 's#/\./#/#g' -e 's#/\.$#/#' -e 's#//*#/#g')
  printf '%s' "$p"
}

run_step() { # one command of a RUN, split on &&
  local cmd=$1
  case $cmd in
    "npm cache clean"*) unchecked+=("RUN $cmd (image cleanup; not run here: it would empty this machine's npm cache)") ;;
    "npm "*)
      say "  run in $(abs .): $cmd"
      (cd "$(in_stage "$WORKDIR")" && env "${ENV_PAIRS[@]}" bash -c "$cmd") > "$SCRATCH/step.log" 2>&1 || { cat "$SCRATCH/step.log"; fail "RUN $cmd"; } ;;
    "apt-get update") unchecked+=("RUN apt-get update (the image's package index)") ;;
    "apt-get install "*)
      local pkg
      for pkg in $cmd; do
        case $pkg in apt-get|install|-*) continue ;; esac
        apt-cache show "$pkg" > /dev/null 2>&1 || fail "apt-get install: $pkg is not in this machine's Debian archive ($(. /etc/os-release; echo "$VERSION_CODENAME"))"
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || fail "apt-get install: $pkg is not installed on this machine, the image's stand-in (scripts/system-deps.sh)"
        say "  apt package $pkg: $(dpkg-query -W -f='${Version}' "$pkg") installed here (the image installs its archive's version)"
      done
      unchecked+=("RUN $cmd (inside the image)") ;;
    "rm -rf /var/lib/apt/lists/*") unchecked+=("RUN $cmd (image cleanup)") ;;
    *) fail "RUN $cmd: a step this check does not know; teach scripts/check-dockerfile.sh to run or check it" ;;
  esac
}

for instruction in "${INSTRUCTIONS[@]}"; do
  read -r op rest <<< "$instruction"
  rest=$(expand "$rest")
  case ${op^^} in
    ARG)
      name=${rest%%=*}; value=${rest#*=}; [ "$name" = "$rest" ] && value=""
      ARGS[$name]=$value ;;
    FROM)
      read -r image _as name <<< "$rest"
      stage=$((stage + 1)); STAGE_ROOT=$SCRATCH/stage$stage; rm -rf "$STAGE_ROOT"; mkdir -p "$STAGE_ROOT"
      STAGE_DIR[$stage]=$STAGE_ROOT; [ -n "${name:-}" ] && STAGE_DIR[$name]=$STAGE_ROOT
      WORKDIR=/; USER_SET=""; ENV_PAIRS=(); IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
      case $image in node:24-*|node:24) ;; *) fail "FROM $image: want a Node 24 image" ;; esac
      codename=$(. /etc/os-release; echo "${VERSION_CODENAME:-}")
      case $image in *"$codename"*) ;; *) fail "FROM $image: this machine is Debian $codename, so its packages do not stand in for the image's" ;; esac
      say "stage $stage${name:+ ($name)}: FROM $image"
      unchecked+=("FROM $image (not pulled: this machine's Debian $codename and node $(node --version) stand in)") ;;
    WORKDIR) WORKDIR=$(abs "$rest"); mkdir -p "$(in_stage "$WORKDIR")" ;;
    ENV)
      key=${rest%%=*}; value=${rest#*=}
      if [ "$key" = PATH ]; then IMAGE_PATH=${value//\$PATH/$IMAGE_PATH}; else ENV_PAIRS+=("$key=$value"); fi ;;
    COPY)
      from=""; set -- $rest
      if [[ $1 == --from=* ]]; then from=${1#--from=}; shift; fi
      args=("$@"); dest=$(abs "${args[-1]}"); unset 'args[-1]'
      for src in "${args[@]}"; do
        if [ -n "$from" ]; then
          [ -n "${STAGE_DIR[$from]:-}" ] || fail "COPY --from=$from: no such stage"
          origin=${STAGE_DIR[$from]}$src
        else
          origin=$CONTEXT/$src
        fi
        [ -e "$origin" ] || fail "COPY ${from:+--from=$from }$src: not there${from:+ in stage $from}${from:- (not in the context: excluded by .dockerignore?)}"
        target=$(in_stage "$dest")
        if [ -d "$origin" ]; then mkdir -p "$target"; cp -a "$origin/." "$target/"
        else case $dest in */) mkdir -p "$target"; cp -a "$origin" "$target" ;; *) mkdir -p "$(dirname "$target")"; cp -a "$origin" "$target" ;; esac; fi
        say "  COPY ${from:+--from=$from }$src -> $dest"
      done ;;
    RUN)
      IFS=$'\x1f' read -r -a steps <<< "$(printf '%s' "$rest" | sed 's/[[:space:]]*&&[[:space:]]*/\x1f/g')"
      for s in "${steps[@]}"; do run_step "$(printf '%s' "$s" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')"; done ;;
    USER) USER_SET=$rest ;;
    ENTRYPOINT) ENTRYPOINT=$rest ;;
    *) fail "$op: an instruction this check does not know" ;;
  esac
done

# The final stage: the entrypoint, resolved on the image's PATH inside the stage's folder.
[ -n "$ENTRYPOINT" ] || fail "no ENTRYPOINT"
mapfile -t ENTRY < <(node -e 'for (const w of JSON.parse(process.argv[1])) console.log(w)' "$ENTRYPOINT") || fail "ENTRYPOINT is not the exec form (a JSON array)"
program=""
IFS=: read -r -a dirs <<< "$IMAGE_PATH"
for d in "${dirs[@]}"; do
  if [ -x "$STAGE_ROOT$d/${ENTRY[0]}" ]; then program=$STAGE_ROOT$d/${ENTRY[0]}; break; fi
done
[ -n "$program" ] || fail "ENTRYPOINT ${ENTRY[0]}: not found on the image's PATH ($IMAGE_PATH) in the final stage"
say "final stage: ENTRYPOINT ${ENTRY[*]} is ${program#"$STAGE_ROOT"}; USER ${USER_SET:-unset (the base image runs as root)}"

help=$(cd / && env "${ENV_PAIRS[@]}" "$program" "${ENTRY[@]:1}" --help 2>&1) || { say "$help"; fail "${ENTRY[*]} --help"; }
case $help in "Usage: nftpol agent "*) ;; *) say "$help"; fail "${ENTRY[*]} --help does not print the agent's usage" ;; esac
say "  ${ENTRY[*]} --help: $(printf '%s\n' "$help" | head -1)"
version=$(cd / && env "${ENV_PAIRS[@]}" "$program" "${ENTRY[@]:1}" --version 2>&1) || { say "$version"; fail "${ENTRY[*]} --version"; }
want=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
[ "$version" = "$want" ] || fail "${ENTRY[*]} --version printed \"$version\", want $want"
say "  ${ENTRY[*]} --version: $version"

APP=$(dirname "$(dirname "$program")")
[ -L "$program" ] && APP=$(dirname "$(dirname "$(readlink -f "$program")")")
# Dev-only packages (the lockfile marks them "dev": true) must not be there; some
# dev dependencies (@types/node) are also production dependencies of a dependency.
devonly=$(cd "$APP" && node -e '
  const lock = require("./package-lock.json");
  const fs = require("node:fs");
  const there = Object.entries(lock.packages).filter(([k, v]) => k !== "" && v.dev === true && fs.existsSync(k)).map(([k]) => k);
  console.log(there.join(" "));')
[ -z "$devonly" ] || fail "dev-only packages in the final stage: $devonly"
say "  no dev-only package in node_modules ($(du -sh "$APP/node_modules" | cut -f1); the app folder $(du -sh "$APP" | cut -f1))"
(cd "$APP" && node -e 'const k = require("koffi"); k.load("libnftables.so.1"); console.log(`  koffi ${k.version ?? ""} loads libnftables.so.1`)') || fail "koffi or libnftables.so.1 does not load from the final stage"
for tool in nft conntrack ip tc; do command -v "$tool" > /dev/null || fail "$tool is not on this machine (the image's apt packages provide it)"; done
say "  nft, conntrack, ip and tc: present here ($(nft --version))"

say "not checked without a Docker engine:"
for u in "${unchecked[@]}"; do say "  - $u"; done
say "  - file ownership, layers, image size; USER and capabilities at run time"
say "ok: the Dockerfile's steps ran; the entrypoint answers --help and --version"
