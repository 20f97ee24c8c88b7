#!/usr/bin/env python3
"""Renders model summaries as Keras 3 prints them, from a description of the model, with the real `rich`.

This is how tests/golden/*.txt are made and checked: Keras itself is not a dependency, but its summary is
Keras's `print_summary` (keras/src/utils/summary_utils.py) laying out a `rich` table, and this script does the
same steps with Debian 12's python3-rich (13.3.1). The facts in each row (names, shapes, parameter counts,
connections) come from the description, written by hand from Keras's rules (docs/semantics.md); the layout,
widths, wrapping and the footer are rich's and Keras's.

    keras_summary.py DESCRIPTION.json            print the summary
    keras_summary.py --check DIR                 render every DIR/*.json and compare with its golden file
    keras_summary.py --write DIR                 (re)write every golden file from its description

A description:
    {"golden": "golden_seed1.txt",          the text file it renders to, beside it
     "name": "residual_block",              the model's name
     "sequential_like": false,              3 columns (true) or 4 with "Connected to" (false)
     "terminal_columns": 120,               the terminal Keras ran on (80 stands for a pipe or a file)
     "line_length": null,                   Keras's line_length argument (null: the default)
     "rows": [["input_layer", "InputLayer", "(None, 32, 32, 3)", 0, []], ...]
                                            name, class, output shape, parameters, connections as
                                            [layer, node index, tensor index] triples
     "trainable": 21504, "non_trainable": 0} parameter counts (float32: 4 bytes each)

`--check` exits with status 1 and a diff when a golden file and its description disagree, so the goldens
can only change together with the description that explains them (tests/CMakeLists.txt runs it).
"""
import difflib
import json
import os
import sys

import rich.console
import rich.markup
import rich.table


# Keras's markup helpers (summary_utils.py): colours and bold, which a console without colours drops.
def highlight_number(x):
    return f"[color(45)]{x}[/]"


def highlight_symbol(x):
    return f"[color(33)]{x}[/]"


def bold_text(x, color=None):
    if color:
        return f"[bold][color({color})]{x}[/][/]"
    return f"[bold]{x}[/]"


def readable_memory_size(size):
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    scale = 1024
    for unit in units:
        if size / scale < 1:
            return "{:.2f} {}".format(size, unit)
        size /= scale
    return "{:.2f} {}".format(size, units[-1])


def render(description):
    sequential_like = description["sequential_like"]
    if sequential_like:
        default_line_length = 88
        positions = [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        alignment = ["left", "left", "right"]
    else:
        default_line_length = 108
        positions = [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    terminal_columns = description["terminal_columns"]
    default_line_length = min(default_line_length, terminal_columns - 4)
    line_length = description.get("line_length") or default_line_length
    column_widths = []
    current = 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        column_widths.append(width)
        current += width
    columns = [rich.table.Column(name, justify=alignment[i], width=column_widths[i]) for i, name in enumerate(header)]
    table = rich.table.Table(*columns, width=line_length, show_lines=True)
    for name, cls, shape, params, connections in description["rows"]:
        fields = [
            rich.markup.escape(name) + f" ({highlight_symbol(rich.markup.escape(cls))})",
            shape,
            highlight_number(f"{params:,}"),
        ]
        if not sequential_like:
            text = ", ".join(
                f"{layer}[{highlight_number(node)}][{highlight_number(tensor)}]" for layer, node, tensor in connections
            )
            fields.append(text or "-")
        table.add_row(*fields)
    trainable = description["trainable"]
    non_trainable = description["non_trainable"]
    # Keras captures the output of a console without colours when it is given a print function (summary to
    # a string, or a non-interactive log); the console is as wide as the terminal.
    console = rich.console.Console(highlight=False, force_terminal=False, color_system=None, width=terminal_columns)
    console.begin_capture()
    console.print(bold_text(f'Model: "{rich.markup.escape(description["name"])}"'))
    console.print(table)
    for label, count in [(" Total params: ", trainable + non_trainable), (" Trainable params: ", trainable),
                         (" Non-trainable params: ", non_trainable)]:
        console.print(bold_text(label) + highlight_number(f"{count:,}") + f" ({readable_memory_size(count * 4)})")
    return console.end_capture()


def descriptions(directory):
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as f:
                yield path, json.load(f)


def main(argv):
    if len(argv) == 2 and not argv[1].startswith("--"):
        with open(argv[1], encoding="utf-8") as f:
            sys.stdout.write(render(json.load(f)))
        return 0
    if len(argv) != 3 or argv[1] not in ("--check", "--write"):
        sys.stderr.write(__doc__)
        return 2
    status = 0
    for path, description in descriptions(argv[2]):
        golden = os.path.join(argv[2], description["golden"])
        text = render(description)
        if argv[1] == "--write":
            with open(golden, "w", encoding="utf-8") as f:
                f.write(text)
            continue
        with open(golden, encoding="utf-8") as f:
            expected = f.read()
        if text != expected:
            status = 1
            sys.stdout.write(f"{golden} differs from what {path} renders to:\n")
            sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), golden, path))
        else:
            sys.stdout.write(f"{golden}: equal to what {os.path.basename(path)} renders to\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
