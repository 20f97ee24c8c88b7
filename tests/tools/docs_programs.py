#!/usr/bin/env python3
"""The complete programs in docs/ are tests: this extracts them and checks what they print.

    docs_programs.py extract DOCS_DIR OUT_DIR     write OUT_DIR/<doc>_<line>.cpp for every ```cpp block of
                                                  DOCS_DIR/*.md holding `int main(`, and beside it
                                                  <doc>_<line>.expected: the plain ``` block that follows it
                                                  (its printed output), if one does before the next code block
    docs_programs.py run PROGRAM EXPECTED         run PROGRAM in a scratch directory (COLUMNS=120: the docs
                                                  show the summary as a wide terminal prints it) and check that
                                                  the lines of EXPECTED appear in its output, in order

Lines are compared after masking what differs between runs and CPUs: numbers become `#`, oneDNN
implementation names (`jit:avx2`, `x64:gemm:jit`, `strata:cpp`) `IMPL`, blocked layouts (`Acdb16a`,
`aBcd8b`) and a plan step's weights layout `LAYOUT`, and runs of spaces one space. So a summary, a plan's steps and their Keras
layers, and every message must match; times, sizes and the CPU's kernel choice need not.
"""
import os
import re
import subprocess
import sys
import tempfile


def blocks(text):
    """(language, first line number, body) of every fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        yield m.group(1), start + 1, "\n".join(body) + "\n"
        i += 1


def extract(docs_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name in sorted(os.listdir(docs_dir)):
        if not name.endswith(".md"):
            continue
        with open(os.path.join(docs_dir, name), encoding="utf-8") as f:
            found = list(blocks(f.read()))
        for k, (language, line, body) in enumerate(found):
            if language != "cpp" or "int main(" not in body:
                continue
            stem = f"{name[:-3]}_{line}"
            with open(os.path.join(out_dir, stem + ".cpp"), "w", encoding="utf-8") as f:
                f.write(f"// Extracted from docs/{name}, line {line}, by tests/tools/docs_programs.py.\n" + body)
            expected = ""
            if k + 1 < len(found) and found[k + 1][0] == "":
                expected = found[k + 1][2]
            with open(os.path.join(out_dir, stem + ".expected"), "w", encoding="utf-8") as f:
                f.write(expected)
            written.append(stem)
    print(";".join(written), end="")
    return 0


def mask(line):
    line = re.sub(r"\b[a-z_0-9]+(:[a-z_0-9]+)+\b", "IMPL", line)
    line = re.sub(r";\s*\S+", "; LAYOUT", line)  # a plan step's weights layout: the CPU's choice
    line = re.sub(r"\b[A-Za-z]*[a-z][0-9]+[a-z]\b|\b[A-Z][A-Za-z]*[0-9]+[a-z][0-9a-z]*\b", "LAYOUT", line)
    line = re.sub(r"[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?", "#", line)
    return re.sub(r"\s+", " ", line).strip()


def run(program, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        expected = [mask(l) for l in f.read().split("\n") if l.strip()]
    env = dict(os.environ, COLUMNS="120")
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run([program], cwd=scratch, env=env, capture_output=True, text=True, timeout=600)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        print(f"docs program {program} exited with status {done.returncode}")
        return 1
    got = [mask(l) for l in done.stdout.split("\n") if l.strip()]
    at = 0
    for want in expected:
        while at < len(got) and got[at] != want:
            at += 1
        if at == len(got):
            print(f"the documented output line\n  {want}\nis not in what the program printed (masked), in order")
            return 1
        at += 1
    print(f"{len(expected)} documented output lines found in order")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "extract":
        sys.exit(extract(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2], sys.argv[3]))
    sys.stderr.write(__doc__)
    sys.exit(2)
