#!/usr/bin/env python3
"""Checks the thread-safety annotations (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED,
...) with clang's -Wthread-safety, compiling nothing: every non-test source in a build
directory's compile_commands.json is parsed with -fsyntax-only. GCC, which builds Roost,
ignores the annotations. Exit status 1 on any finding.

Usage: scripts/thread-safety.py [BUILD_DIR]   (default: build)
"""
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys


def clang_args(command):
    args, out, skip = shlex.split(command)[1:], [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg != "-c":
            out.append(arg)
    return out


def check(entry):
    cmd = ["clang++", "-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety",
           "-Wno-unknown-warning-option", "-Wno-unused-command-line-argument"]
    run = subprocess.run(cmd + clang_args(entry["command"]), cwd=entry["directory"],
                         capture_output=True, text=True)
    return entry["file"], run.returncode, run.stderr


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = [e for e in json.load(f)
                   if e["file"].startswith(root + "/")
                   and not e["file"].startswith((root + "/tests/", root + "/build"))
                   and e["file"].endswith(".cc")]
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for path, code, errors in pool.map(check, entries):
            if code != 0:
                failed += 1
                sys.stderr.write(errors)
    print(f"thread-safety: {len(entries)} files, {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
