#!/usr/bin/python3
"""Writes .npy files with numpy for tests/unit/test_npy.cpp, and reads back the ones strata wrote.

    make_npy_files.py write OUTDIR    writes the files below
    make_npy_files.py read FILE...    prints, per file, its dtype, shape, C-contiguity and the hex of its
                                      bytes in C order, as numpy.load sees them

Values are `arange(n) * 0.5 - 1` in C order, exact in float32, so the test can compute them; the integer
files hold `arange(n) - 3`, the bool file `arange(n) % 3 == 0` (and one a byte 2 that numpy would not write).
"""

import os
import sys

import numpy as np
from numpy.lib import format as npy_format


def values(shape, dtype=np.float32):
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(n, dtype=np.float64) * 0.5 - 1).astype(dtype).reshape(shape)


def write(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    for name, shape in {"f32_2x3": (2, 3), "f32_vector": (7,), "f32_scalar": (), "f32_empty": (0, 3),
                        "f32_4d": (2, 3, 4, 5), "f32_large": (64, 1000)}.items():
        np.save(p(name + ".npy"), values(shape))
    np.save(p("f32_bigendian.npy"), values((3, 2)).astype(">f4"))
    for version in ((2, 0), (3, 0)):
        with open(p(f"f32_v{version[0]}.npy"), "wb") as f:
            npy_format.write_array(f, values((2, 3)), version=version)
    np.save(p("f64.npy"), values((2, 3), np.float64))
    np.save(p("f16.npy"), values((2, 3), np.float16))
    np.save(p("i16.npy"), values((2, 3), np.int16))
    np.save(p("i32_2x3.npy"), (np.arange(6) - 3).astype(np.int32).reshape(2, 3))
    np.save(p("i64_vector.npy"), (np.arange(5) - 3).astype(np.int64))
    np.save(p("i64_bigendian.npy"), (np.arange(6) - 3).astype(">i8").reshape(3, 2))
    np.save(p("b1_2x3.npy"), (np.arange(6) % 3 == 0).reshape(2, 3))
    np.save(p("b1_bad_byte.npy"), np.array([0, 2, 1], dtype=np.uint8).view(np.bool_))
    np.save(p("fortran.npy"), np.asfortranarray(values((2, 3))))
    np.save(p("structured.npy"), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))


def read(paths):
    for path in paths:
        a = np.load(path)
        little = "<" + a.dtype.str[1:]  # the bytes of each element as little-endian, whatever the file's order
        print(a.dtype.str, a.shape, a.flags["C_CONTIGUOUS"], np.ascontiguousarray(a).astype(little).tobytes().hex())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "read":
        read(sys.argv[2:])
    else:
        sys.exit(__doc__)
