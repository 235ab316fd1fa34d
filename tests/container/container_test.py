#!/usr/bin/env python3
"""Checks the Dockerfile and .dockerignore without a container engine (ctest: container.*).

    container_test.py SOURCE_DIR dockerignore|server_build|healthcheck|image

- dockerignore: a developer's checkout (the repository's files plus .git, build/, build-asan/,
  build-server/, .cache/, tests/browser/node_modules/, bench/results/, data/*.db, ...) filtered
  by .dockerignore, with Docker's matching rules, leaves out every such artifact and keeps the
  sources.
- server_build: the build stage replayed on that filtered context: its WORKDIR/COPY steps, then
  each `RUN make ...` exactly as written (apt-get, dpkg and sudo are stand-ins that record what
  would be installed on a fresh debian:bookworm). The only executable built is the one the
  runtime stage copies, no test source is compiled, and no test/format/cache package is asked for.
- healthcheck: the HEALTHCHECK command line, run by /bin/sh as the container runtime does with
  the image's ENV and `-e HOODY_SQLITE_PORT=P`, against the real binary ($HOODY_BIN) started as
  the ENTRYPOINT (no arguments, configured by that environment) on a free port P != 8080:
  healthy; unhealthy when the variable names a port where nothing listens or once it stopped.
- image: uid and gid pinned to 10001, the usage comment and docs/operations.md show a named
  volume, the chown step of a bind mount and the health check on another port.
"""
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
FAILURES = []

# Packages the build stage must not install: they serve tests, formatting and ccache only.
FORBIDDEN_PACKAGES = {"libgtest-dev", "googletest", "libgmock-dev", "clang-format-14",
                      "clang-tidy-14", "ccache", "nodejs", "npm", "chromium"}

# What a developer's checkout holds besides the tracked files; none of it may reach the build.
PLANTED = {
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/objects/pack/pack-0.pack": "x" * 4096,
    # A CMake cache from the host: copied into the context, it makes CMake refuse the source dir.
    "build/CMakeCache.txt": "CMAKE_HOME_DIRECTORY:INTERNAL=/home/dev/hoody-sqlite\n"
                            "CMAKE_CACHEFILE_DIR:INTERNAL=/home/dev/hoody-sqlite/build\n",
    "build/hoody-sqlite": "\x7fELF host binary",
    "build-server/CMakeCache.txt": "CMAKE_HOME_DIRECTORY:INTERNAL=/home/dev/hoody-sqlite\n"
                                   "CMAKE_CACHEFILE_DIR:INTERNAL=/home/dev/hoody-sqlite/build-server\n",
    "build-asan/build.ninja": "",
    "build-fuzz/corpus/x": "",
    ".cache/clangd/index/main.cpp.idx": "",
    "src/.cache/x": "",
    "tests/browser/node_modules/playwright-core/package.json": "{}",
    "bench/results/run-1.json": "{}",
    "data/app.db": "SQLite format 3\0",
    "data/app.db-wal": "",
    "kv.db": "SQLite format 3\0",
    "kv.db-wal": "",
    "kv.db-shm": "",
}
# Files the server build needs: they must stay in the context.
REQUIRED = ["CMakeLists.txt", "Makefile", "LICENSE", "src/main.cpp", "include/hoody/core/config.hpp",
            "web/index.html", "cmake/EmbedWebAssets.cmake"]


def check(ok, message):
    if not ok:
        FAILURES.append(message)
        print("FAIL: " + message, flush=True)
    return ok


def finish(name):
    if FAILURES:
        print(f"{name}: {len(FAILURES)} failure(s)")
        sys.exit(1)
    print(f"{name}: ok")
    sys.exit(0)


# --- Dockerfile ------------------------------------------------------------------------------

def dockerfile_instructions(path):
    """[(stage_name, KEYWORD, args)]: comment lines dropped, backslash continuations joined."""
    out, stage, pending = [], None, ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.lstrip().startswith("#"):
                continue  # Docker drops comment lines, also inside a continuation
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            line = (pending + line).strip()
            pending = ""
            if not line:
                continue
            keyword, _, args = line.partition(" ")
            keyword, args = keyword.upper(), args.strip()
            if keyword == "FROM":
                words = args.split()
                stage = words[2] if len(words) >= 3 and words[1].upper() == "AS" else words[0]
            out.append((stage, keyword, args))
    return out


def usage_comment(path):
    with open(path, encoding="utf-8") as f:
        return "".join(l for l in f if l.startswith("#"))


def stage_names(instructions):
    return [args.split()[2] for _, kw, args in instructions
            if kw == "FROM" and len(args.split()) >= 3]


def runtime_env(instructions, final_stage):
    """The ENV of the final stage (KEY=VALUE pairs, no variable expansion needed here)."""
    env = {}
    for stage, kw, args in instructions:
        if stage == final_stage and kw == "ENV":
            for word in shlex.split(args):
                key, _, value = word.partition("=")
                env[key] = value
    return env


# --- .dockerignore (Docker's rules: moby/patternmatcher) -------------------------------------

def pattern_regex(pattern):
    i, out = 0, ""
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i:i + 2] == "**":
                i += 2
                if pattern[i:i + 1] == "/":
                    out += "(?:.*/)?"
                    i += 1
                else:
                    out += ".*"
                continue
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out += re.escape(c)
            else:
                body = pattern[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out += "[" + body + "]"
                i = end
        else:
            out += re.escape(c)
        i += 1
    return re.compile("^" + out + "$")


def read_dockerignore(path):
    patterns = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            line = os.path.normpath(line).lstrip("/")
            patterns.append((exclusion, pattern_regex(line)))
    return patterns


def ignored(patterns, rel):
    """MatchesOrParentMatches: the last matching pattern wins; a match on a parent counts."""
    parts = rel.split("/")
    parents = ["/".join(parts[:i + 1]) for i in range(len(parts) - 1)]
    matched = False
    for exclusion, regex in patterns:
        if exclusion != matched:
            continue
        if regex.match(rel) or any(regex.match(p) for p in parents):
            matched = not exclusion
    return matched


# --- a developer's checkout and its build context --------------------------------------------

def make_checkout(dest):
    listed = subprocess.run(
        ["git", "-C", SOURCE, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = os.path.join(SOURCE, rel)
        if not os.path.isfile(src):
            continue  # deleted in the work tree
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))
    for rel, content in PLANTED.items():
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        with open(os.path.join(dest, rel), "w", encoding="latin-1") as f:
            f.write(content)


def all_files(root):
    for dirpath, _, files in os.walk(root):
        for name in files:
            yield os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


def make_context(checkout, context):
    dockerignore = os.path.join(checkout, ".dockerignore")
    patterns = read_dockerignore(dockerignore) if os.path.exists(dockerignore) else []
    for rel in all_files(checkout):
        if ignored(patterns, rel):
            continue
        os.makedirs(os.path.dirname(os.path.join(context, rel)), exist_ok=True)
        shutil.copy2(os.path.join(checkout, rel), os.path.join(context, rel))


def prepare(tmp):
    checkout, context = os.path.join(tmp, "checkout"), os.path.join(tmp, "context")
    os.makedirs(checkout)
    os.makedirs(context)
    make_checkout(checkout)
    make_context(checkout, context)
    return context


def test_dockerignore(tmp):
    check(os.path.isfile(os.path.join(SOURCE, ".dockerignore")), ".dockerignore exists")
    context = prepare(tmp)
    sent = set(all_files(context))
    for rel in PLANTED:
        check(rel not in sent, f".dockerignore leaves out {rel}")
    for rel in REQUIRED:
        check(rel in sent, f".dockerignore keeps {rel}")
    extra = [rel for rel in sorted(sent) if rel.split("/")[0] in ("tests", "docs", "bench", ".ci")]
    check(not extra, f"the context holds no test, doc or bench file ({len(extra)}: {extra[:5]} ...)")
    print(f"context: {len(sent)} files")
    finish("container.dockerignore")


# --- the build stage, replayed ---------------------------------------------------------------

FAKE_TOOLS = {
    # A fresh debian:bookworm: no package is installed yet.
    "dpkg": '#!/bin/sh\n[ "$1" = "-s" ] && exit 1\nexit 0\n',
    "apt-get": '#!/bin/sh\necho "$*" >> "$HOODY_APT_LOG"\nexit 0\n',
    "sudo": '#!/bin/sh\nexec "$@"\n',
}


def installed_packages(command):
    """Package names of every `apt-get install ...` in a shell command line."""
    names = []
    for part in re.split(r"&&|;|\|\|", command):
        words = part.split()
        if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
            names += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return names


def test_server_build(tmp):
    dockerfile = os.path.join(SOURCE, "Dockerfile")
    instructions = dockerfile_instructions(dockerfile)
    stages = stage_names(instructions)
    check(len(stages) >= 2, "the Dockerfile has a build stage and a runtime stage")
    build_stage, final_stage = stages[0], instructions[-1][0]

    context = prepare(tmp)
    root = os.path.join(tmp, "root")  # the build stage's file system
    fakebin = os.path.join(tmp, "fakebin")
    os.makedirs(root)
    os.makedirs(fakebin)
    for name, body in FAKE_TOOLS.items():
        with open(os.path.join(fakebin, name), "w", encoding="utf-8") as f:
            f.write(body)
        os.chmod(os.path.join(fakebin, name), 0o755)
    apt_log = os.path.join(tmp, "apt.log")
    open(apt_log, "w", encoding="utf-8").close()
    env = dict(os.environ, PATH=fakebin + os.pathsep + os.environ["PATH"], HOODY_APT_LOG=apt_log)
    for key in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(key, None)

    def in_root(path, workdir):
        return os.path.join(root, os.path.join(workdir, path).lstrip("/"))

    workdir, ran_make = "/", 0
    requested = []
    for stage, kw, args in instructions:
        if stage != build_stage:
            continue
        if kw == "WORKDIR":
            workdir = os.path.join(workdir, args)
            os.makedirs(in_root(".", workdir), exist_ok=True)
        elif kw == "COPY":
            words = [w for w in shlex.split(args) if not w.startswith("--")]
            *sources, dest = words
            target = in_root(dest, workdir)
            for src in sources:
                src_path = os.path.normpath(os.path.join(context, src))
                if os.path.isdir(src_path):
                    shutil.copytree(src_path, target, dirs_exist_ok=True, symlinks=True)
                else:
                    check(os.path.exists(src_path), f"COPY source {src} is in the context")
                    os.makedirs(target if dest.endswith("/") or dest == "." else
                                os.path.dirname(target), exist_ok=True)
                    shutil.copy2(src_path, target)
        elif kw == "RUN":
            requested += installed_packages(args)
            if args.startswith("make"):
                ran_make += 1
                print(f"+ (in {workdir}) {args}", flush=True)
                result = subprocess.run(["nice", "-n", "10", "/bin/sh", "-c", args],
                                        cwd=in_root(".", workdir), env=env)
                if not check(result.returncode == 0, f"`RUN {args}` exits 0"):
                    finish("container.server_build")
            else:
                check(re.fullmatch(r"[\w\s&|;/*.=-]*", args) is not None and "apt-get" in args,
                      f"a RUN of the build stage other than make only installs packages: {args}")
    check(ran_make > 0, "the build stage runs make")

    with open(apt_log, encoding="utf-8") as f:
        for line in f:
            requested += installed_packages("apt-get " + line.strip())
    check("g++" in requested and "libsqlite3-dev" in requested,
          f"the build stage installs the compiler and libraries (asked for: {sorted(set(requested))})")
    for name in sorted(set(requested) & FORBIDDEN_PACKAGES):
        check(False, f"the build stage does not install {name}")

    # What the runtime stage takes from the build stage must be there; the binary must run.
    copied = []
    for stage, kw, args in instructions:
        if stage == final_stage and kw == "COPY" and f"--from={build_stage}" in args:
            src = [w for w in shlex.split(args) if not w.startswith("--")][0]
            copied.append(src)
            check(os.path.exists(in_root(src, "/")), f"the runtime stage's COPY source {src} exists")
    binaries = [s for s in copied if s.endswith("/hoody-sqlite")]
    if not check(len(binaries) == 1, "the runtime stage copies one hoody-sqlite binary"):
        finish("container.server_build")
    binary = in_root(binaries[0], "/")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True)
    check(version.returncode == 0 and version.stdout.strip() != "",
          f"the built binary runs: {version.stdout.strip()!r}")

    # Nothing but the server: one executable, no test source compiled, tests off in the cache.
    build_dir = os.path.dirname(binary)
    executables = []
    for rel in all_files(root):
        path = os.path.join(root, rel)
        if "/CMakeFiles/" in "/" + rel or os.path.islink(path) or \
                not os.stat(path).st_mode & stat.S_IXUSR:
            continue  # (CMakeFiles/ holds CMake's compiler probes, not build outputs)
        with open(path, "rb") as f:
            if f.read(4) == b"\x7fELF":
                executables.append(rel)
    check(executables == [os.path.relpath(binary, root)],
          f"the only executable built is the server: {executables}")
    with open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8") as f:
        check("HOODY_BUILD_TESTS:BOOL=OFF" in f.read(), "the build directory has tests off")
    with open(os.path.join(build_dir, ".ninja_log"), encoding="utf-8") as f:
        outputs = [line.split("\t")[3] for line in f if not line.startswith("#")]
    check(outputs, "ninja built something")
    compiled_tests = [o for o in outputs if "tests/" in o or "gtest" in o]
    check(not compiled_tests, f"no test source compiled: {compiled_tests[:5]}")
    print(f"build stage: {len(outputs)} ninja steps, executables {executables}")
    finish("container.server_build")


# --- HEALTHCHECK ----------------------------------------------------------------------------

def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8080:
            return port


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_healthcheck(tmp):
    instructions = dockerfile_instructions(os.path.join(SOURCE, "Dockerfile"))
    final_stage = instructions[-1][0]
    health = [a for s, k, a in instructions if s == final_stage and k == "HEALTHCHECK"]
    entry = [a for s, k, a in instructions if s == final_stage and k == "ENTRYPOINT"]
    if not (check(len(health) == 1, "one HEALTHCHECK") and check(len(entry) == 1, "one ENTRYPOINT")):
        finish("container.healthcheck")
    options = dict(re.findall(r"--([\w-]+)=(\S+)", health[0]))
    cmd = re.split(r"\bCMD\b", health[0], maxsplit=1)[1].strip()
    check(not cmd.startswith("["), "the HEALTHCHECK uses the shell form, so the port variable is "
                                   "expanded when the check runs")
    check("8080" not in cmd.replace("${HOODY_SQLITE_PORT:-8080}", ""),
          f"the HEALTHCHECK names no fixed port: {cmd}")
    timeout = float(options.get("timeout", "30s").rstrip("s"))
    import json
    entrypoint = json.loads(entry[0])
    check(entrypoint[0].endswith("/hoody-sqlite"), f"the ENTRYPOINT is the server: {entrypoint}")

    port, other = free_port(), free_port()
    while other == port:
        other = free_port()
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    # `docker run -e HOODY_SQLITE_PORT=P` over the image's ENV; /data is a temp dir here, and the
    # server listens on loopback only (a test never listens on every interface).
    image_env = runtime_env(instructions, final_stage)
    check(image_env.get("HOODY_SQLITE_PORT") is not None, "the image sets HOODY_SQLITE_PORT")
    container_env = {"PATH": os.environ["PATH"], **image_env, "HOODY_SQLITE_PORT": str(port),
                     "HOODY_SQLITE_DATA_DIR": data, "HOODY_SQLITE_HOST": "127.0.0.1"}
    binary = os.environ.get("HOODY_BIN") or os.path.join(SOURCE, "build", "hoody-sqlite")
    log = open(os.path.join(tmp, "server.log"), "w+", encoding="utf-8")
    server = subprocess.Popen([binary, *entrypoint[1:]], env=container_env, stdout=log,
                              stderr=subprocess.STDOUT)

    def run_check(env_port):
        start = time.monotonic()
        result = subprocess.run(["/bin/sh", "-c", cmd], env=dict(container_env,
                                HOODY_SQLITE_PORT=str(env_port)), capture_output=True, text=True,
                                timeout=timeout + 5)
        return result.returncode, time.monotonic() - start, (result.stdout + result.stderr).strip()

    try:
        deadline = time.monotonic() + 15
        while not listening(port) and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not check(listening(port), f"the server listens on HOODY_SQLITE_PORT={port}"):
            log.seek(0)
            print(log.read())
            finish("container.healthcheck")
        rc, took, out = run_check(port)
        check(rc == 0, f"healthy with HOODY_SQLITE_PORT={port}: exit {rc} {out}")
        check(took < timeout, f"the check answers within --timeout={timeout}s (took {took:.2f}s)")
        rc, _, out = run_check(other)
        check(rc != 0, f"unhealthy when HOODY_SQLITE_PORT={other} names a port without a server: "
                       f"exit {rc} {out}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            code = server.wait()
    check(code == 0, f"the server exits 0 on SIGTERM (got {code})")
    rc, took, out = run_check(port)
    check(rc != 0, f"unhealthy once the server stopped: exit {rc} {out}")
    check(took < timeout, f"an unhealthy check also answers within --timeout (took {took:.2f}s)")
    finish("container.healthcheck")


# --- user, group, usage ---------------------------------------------------------------------

def test_image(_tmp):
    dockerfile = os.path.join(SOURCE, "Dockerfile")
    instructions = dockerfile_instructions(dockerfile)
    final_stage = instructions[-1][0]
    runs = " && ".join(a for s, k, a in instructions if s == final_stage and k == "RUN")
    users = [a for s, k, a in instructions if s == final_stage and k == "USER"]
    check(re.search(r"groupadd\b[^&]*--gid 10001\b", runs) is not None, "groupadd --gid 10001")
    check(re.search(r"useradd\b(?=[^&]*--uid 10001\b)(?=[^&]*--gid 10001\b)", runs) is not None,
          "useradd --uid 10001 --gid 10001")
    check(re.search(r"chown (10001:10001|hoody:hoody) /data\b", runs) is not None,
          "/data belongs to 10001:10001 in the image (a new named volume copies that owner)")
    check(users == ["10001:10001"], f"USER 10001:10001, numeric (got {users})")
    volumes = [a for s, k, a in instructions if s == final_stage and k == "VOLUME"]
    check(any("/data" in v for v in volumes), "VOLUME /data")
    usage = usage_comment(dockerfile)
    check(re.search(r"docker run .*-v [A-Za-z][\w.-]*:/data", usage) is not None,
          "the usage comment shows a named volume")
    check(re.search(r"chown 10001:10001 data", usage) is not None and
          re.search(r"docker run .*-v \"\$PWD/data:/data\"", usage) is not None,
          "the usage comment shows the chown step of a bind mount")
    check(re.search(r"-e HOODY_SQLITE_PORT=(\d+)", usage) is not None,
          "the usage comment shows another port")
    with open(os.path.join(SOURCE, "docs", "operations.md"), encoding="utf-8") as f:
        docs = f.read()
    check(re.search(r"docker run .*-v [A-Za-z][\w.-]*:/data", docs) is not None and
          "chown 10001:10001 data" in docs and "HOODY_SQLITE_PORT=" in docs and
          "HEALTHCHECK" in docs, "docs/operations.md shows the named volume, the bind mount's "
                                 "chown and the health check on another port")
    build_stage = stage_names(instructions)[0]
    for stage, kw, args in instructions:
        if stage == build_stage and kw == "RUN":
            for name in set(installed_packages(args)) & FORBIDDEN_PACKAGES:
                check(False, f"the build stage does not install {name}")
    finish("container.image")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in ("dockerignore", "server_build", "healthcheck",
                                                  "image"):
        print(__doc__)
        sys.exit(2)
    with tempfile.TemporaryDirectory(prefix="hoody-container-") as tmp:
        {"dockerignore": test_dockerignore, "server_build": test_server_build,
         "healthcheck": test_healthcheck, "image": test_image}[sys.argv[2]](tmp)
