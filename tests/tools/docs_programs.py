#!/usr/bin/env python3
"""The complete programs and the tool's sessions in docs/ are tests: this extracts them and checks what they print.

    docs_programs.py extract DOCS_DIR OUT_DIR     write OUT_DIR/<doc>_<line>.cpp for every ```cpp block of
                                                  DOCS_DIR/*.md holding `int main(`, and beside it
                                                  <doc>_<line>.expected: the plain ``` block that follows it
                                                  (its printed output), if one does before the next code block;
                                                  and OUT_DIR/<doc>_<line>.console for every plain block that
                                                  starts with `$ strata`. Prints the program stems, then `|`,
                                                  then the console stems
    docs_programs.py run PROGRAM EXPECTED         run PROGRAM in a scratch directory (COLUMNS=120: the docs
                                                  show the summary as a wide terminal prints it) and check that
                                                  the lines of EXPECTED appear in its output, in order
    docs_programs.py console SESSION CLI_DIR FIXTURES
                                                  run FIXTURES (it writes the files the docs' sessions read) in
                                                  a scratch directory, then each `$ ` command of SESSION there
                                                  in one bash, with CLI_DIR (holding `strata`) first on PATH;
                                                  each command's output (stdout and stderr) must hold the lines
                                                  the docs show after it, in order

Lines are compared after masking what differs between runs and CPUs: numbers become `#`, oneDNN
implementation names (`jit:avx2`, `x64:gemm:jit`, `strata:cpp`) `IMPL`, blocked layouts (`Acdb16a`,
`aBcd8b`) and a plan step's weights layout `LAYOUT`, and runs of spaces one space. So a summary, a plan's steps and their Keras
layers, and every message must match; times, sizes and the CPU's kernel choice need not.

What the CPU's oneDNN can run changes a plan's steps (Winograd and its layout conversions exist only with
AVX-512). An output block or session preceded by the line `<!-- on avx512 -->` or `<!-- on avx2 -->` is
checked only on such a CPU (AVX-512 F, BW, VL and DQ, as oneDNN's avx512_core needs; or without them); a
program may be followed by one block of each.
"""
import os
import re
import subprocess
import sys
import tempfile


def blocks(text):
    """(language, first line number, body, ISA tag or None) of every fenced block."""
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
        yield m.group(1), start + 1, "\n".join(body) + "\n", isa_tag(lines[max(0, start - 3):start])
        i += 1


def cpu_isa():
    """avx512 when oneDNN runs its avx512_core kernels here, else avx2."""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        flags = set(next((l for l in f if l.startswith("flags")), "").split())
    return "avx512" if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags else "avx2"


def isa_tag(lines_before):
    """The `<!-- on ISA -->` tag of a block from the non-blank line before its fence, or None."""
    for line in reversed(lines_before):
        if line.strip():
            m = re.match(r"^<!-- on (avx512|avx2) -->$", line.strip())
            return m.group(1) if m else None
    return None


def extract(docs_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for stale in os.listdir(out_dir):  # blocks moved or removed since the last extraction
        if re.search(r"\.(cpp|console|expected(\.avx512|\.avx2)?)$", stale):
            os.remove(os.path.join(out_dir, stale))
    written, sessions = [], []
    for name in sorted(os.listdir(docs_dir)):
        if not name.endswith(".md"):
            continue
        with open(os.path.join(docs_dir, name), encoding="utf-8") as f:
            found = list(blocks(f.read()))
        for k, (language, line, body, tag) in enumerate(found):
            stem = f"{name[:-3]}_{line}"
            if language == "" and body.startswith("$ strata"):
                with open(os.path.join(out_dir, stem + ".console"), "w", encoding="utf-8") as f:
                    f.write(f"# on {tag or 'any'}\n" + body)
                sessions.append(stem)
                continue
            if language != "cpp" or "int main(" not in body:
                continue
            with open(os.path.join(out_dir, stem + ".cpp"), "w", encoding="utf-8") as f:
                f.write(f"// Extracted from docs/{name}, line {line}, by tests/tools/docs_programs.py.\n" + body)
            # The output blocks right after it: one for any CPU, or one per tagged ISA.
            outputs = {}
            for language2, _, body2, tag2 in found[k + 1:]:
                if language2 != "" or body2.startswith("$ "):
                    break
                outputs[tag2 or "any"] = body2
            for tag2, body2 in outputs.items():
                suffix = "" if tag2 == "any" else "." + tag2
                with open(os.path.join(out_dir, stem + ".expected" + suffix), "w", encoding="utf-8") as f:
                    f.write(body2)
            written.append(stem)
    print(";".join(written) + "|" + ";".join(sessions), end="")
    return 0


def mask(line):
    line = re.sub(r"\b[a-z_0-9]+(:[a-z_0-9]+)+\b", "IMPL", line)
    line = re.sub(r";\s*\S+", "; LAYOUT", line)  # a plan step's weights layout: the CPU's choice
    line = re.sub(r"\b[A-Za-z]*[a-z][0-9]+[a-z]\b|\b[A-Z][A-Za-z]*[0-9]+[a-z][0-9a-z]*\b", "LAYOUT", line)
    line = re.sub(r"[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?", "#", line)
    return re.sub(r"\s+", " ", line).strip()


def missing_line(expected_text, got_text):
    """The first documented line (masked) not found in order in what was printed, or None."""
    got = [mask(l) for l in got_text.split("\n") if l.strip()]
    at = 0
    for want in (mask(l) for l in expected_text.split("\n") if l.strip()):
        while at < len(got) and got[at] != want:
            at += 1
        if at == len(got):
            return want
        at += 1
    return None


def run(program, expected_path):
    # This CPU's own block when the docs show one per ISA, else the block for any CPU, else none.
    for path in (f"{expected_path}.{cpu_isa()}", expected_path):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                expected = f.read()
            break
    else:
        expected = ""
    env = dict(os.environ, COLUMNS="120")
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run([program], cwd=scratch, env=env, capture_output=True, text=True, timeout=600)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        print(f"docs program {program} exited with status {done.returncode}")
        return 1
    want = missing_line(expected, done.stdout)
    if want is not None:
        print(f"the documented output line\n  {want}\nis not in what the program printed (masked), in order")
        return 1
    print(f"{len([l for l in expected.split(chr(10)) if l.strip()])} documented output lines found in order")
    return 0


def console(session_path, cli_dir, fixtures):
    with open(session_path, encoding="utf-8") as f:
        tag, *lines = f.read().rstrip("\n").split("\n")
    isa = tag.split()[-1]
    if isa not in ("any", cpu_isa()):
        print(f"this session is documented for {isa}; this CPU runs oneDNN's {cpu_isa()} kernels: not compared")
        return 0
    # (command, documented output) pairs.
    steps = []
    for line in lines:
        if line.startswith("$ "):
            steps.append([line[2:], ""])
        elif steps:
            steps[-1][1] += line + "\n"
    marker = "@@docs-step@@"
    script = []
    for k, (command, _) in enumerate(steps):
        # Each command's status survives the marker line, so that a documented `echo $?` sees it.
        script.append(f"echo {marker}{k}\n(exit ${{status:-0}})\n{command} 2>&1\nstatus=$?")
    env = dict(os.environ, COLUMNS="120", PATH=cli_dir + os.pathsep + os.environ.get("PATH", ""))
    with tempfile.TemporaryDirectory() as scratch:
        made = subprocess.run([fixtures], cwd=scratch, capture_output=True, text=True, timeout=600)
        if made.returncode != 0:
            print(f"{fixtures} failed:\n{made.stdout}{made.stderr}")
            return 1
        done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=scratch, env=env, capture_output=True,
                              text=True, timeout=1200)
    sys.stdout.write(done.stdout)
    outputs = done.stdout.split(marker)[1:]
    if len(outputs) != len(steps):
        print(f"expected {len(steps)} commands to run, saw {len(outputs)}:\n{done.stderr}")
        return 1
    for (command, expected), out in zip(steps, outputs):
        out = out.split("\n", 1)[1] if "\n" in out else ""
        want = missing_line(expected, out)
        if want is not None:
            print(f"after `$ {command}` the documented line\n  {want}\nis not in what it printed (masked), in order")
            return 1
    print(f"{len(steps)} documented commands gave their documented output")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "extract":
        sys.exit(extract(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 5 and sys.argv[1] == "console":
        sys.exit(console(sys.argv[2], sys.argv[3], sys.argv[4]))
    sys.stderr.write(__doc__)
    sys.exit(2)
