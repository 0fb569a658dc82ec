"""checkpoint_ref.py - the Python side of tests/runtime/test_checkpoint.c.

    checkpoint_ref.py gen DIR    writes the files the C test loads: real
                                 torch.save files, safetensors files and the
                                 bad-checkpoint catalogue
    checkpoint_ref.py check DIR  checks the files the C test wrote in DIR
                                 with torch.load and a safetensors reader

Debian bookworm packages no safetensors implementation (no
python3-safetensors), so the safetensors reader and writer here are written
from the format's specification (huggingface/safetensors, "Format"): an
unsigned little-endian 64-bit header size N, N bytes of JSON, the data.
"""
import collections
import json
import os
import struct
import sys

import torch

ST_NAMES = {
    torch.float32: "F32", torch.float64: "F64", torch.int32: "I32",
    torch.int64: "I64", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL", torch.float16: "F16",
    torch.bfloat16: "BF16",
}
ST_DTYPES = {v: k for k, v in ST_NAMES.items()}


def case_mix():
    """The tensors test_checkpoint.c's mix_make() builds, the same values."""
    d = collections.OrderedDict()
    d["w.f32"] = (torch.arange(6, dtype=torch.float32) * 0.5 - 1).reshape(2, 3)
    d["w.f64"] = torch.arange(4, dtype=torch.float64) / 4
    d["b.i64"] = torch.tensor(1234567890123, dtype=torch.int64)
    d["m.bool"] = torch.tensor([True, False, True, True, False])
    d["h.f16"] = torch.tensor([1.0, -1.5, 2.0], dtype=torch.float16)
    d["h.bf16"] = torch.tensor([[0.5, 3.0], [-2.0, 8.0]], dtype=torch.bfloat16)
    d["e.empty"] = torch.zeros(0, 3)
    d["n.i32"] = torch.tensor([-7, 0, 7], dtype=torch.int32)
    d["n.u8"] = torch.tensor([0, 60, 120, 255], dtype=torch.uint8)
    d["n.i8"] = torch.tensor([-128, 5], dtype=torch.int8)
    d["n.i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    # A non-contiguous view [2, 3] and a view at an offset of a larger storage.
    d["t.view"] = torch.arange(6, dtype=torch.float32).reshape(3, 2).t()
    d["s.slice"] = torch.arange(10, dtype=torch.float64).reshape(5, 2)[1:3]
    return d


def st_bytes(t):
    t = t.contiguous().reshape(-1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def st_save(d, path, metadata=None, header_hook=None, data_hook=None):
    """A safetensors writer from the specification."""
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for k, t in d.items():
        b = st_bytes(t)
        header[k] = {"dtype": ST_NAMES[t.dtype], "shape": list(t.shape),
                     "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    if header_hook:
        h = header_hook(h)
    h += b" " * (-len(h) % 8)
    data = b"".join(blobs)
    if data_hook:
        data = data_hook(data)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def st_load(path):
    """A strict safetensors reader from the specification."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert 8 + n <= len(raw), "header length past the end"
    hb = raw[8:8 + n]
    assert hb[:1] == b"{", "header does not start with {"
    header = json.loads(hb.decode("utf-8"),
                        object_pairs_hook=collections.OrderedDict)
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None)
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k)
                   for k, v in header.items())
    pos = 0
    for b, e, k in spans:
        assert b == pos, "offsets of %s do not follow on" % k
        pos = e
    assert pos == len(data), "data size"
    out = collections.OrderedDict()
    for k, v in header.items():
        b, e = v["data_offsets"]
        dtype = ST_DTYPES[v["dtype"]]
        if e > b:
            t = torch.frombuffer(bytearray(data[b:e]), dtype=dtype)
        else:
            t = torch.empty(0, dtype=dtype)
        out[k] = t.reshape(v["shape"])
    return out, meta, n


failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("checkpoint_ref.py: FAILED: " + what, file=sys.stderr)


def same_dict(got, want, what):
    expect(list(got.keys()) == list(want.keys()),
           "%s: keys %s, expected %s" % (what, list(got.keys()), list(want.keys())))
    for k in want:
        if k not in got:
            continue
        g, w = got[k], want[k]
        expect(g.dtype == w.dtype, "%s[%s]: dtype %s, expected %s" % (what, k, g.dtype, w.dtype))
        expect(tuple(g.shape) == tuple(w.shape), "%s[%s]: shape %s, expected %s" % (what, k, tuple(g.shape), tuple(w.shape)))
        if g.dtype == w.dtype and g.shape == w.shape:
            expect(torch.equal(g, w), "%s[%s]: values %s, expected %s" % (what, k, g, w))


def check_c_files(d):
    want = case_mix()
    sd = torch.load(os.path.join(d, "c_mix.pt"))
    expect(type(sd) is collections.OrderedDict, "c_mix.pt: torch.load gave %s, not an OrderedDict" % type(sd))
    same_dict(sd, want, "c_mix.pt")
    # The same file through weights_only (no code may run), as careful users load.
    sd2 = torch.load(os.path.join(d, "c_mix.pt"), weights_only=True)
    same_dict(sd2, want, "c_mix.pt weights_only")
    # An empty store is an empty OrderedDict.
    e = torch.load(os.path.join(d, "c_empty.pt"))
    expect(type(e) is collections.OrderedDict and len(e) == 0, "c_empty.pt: %r" % (e,))
    st, meta, n = st_load(os.path.join(d, "c_mix.safetensors"))
    expect(meta == {"format": "pt"}, "c_mix.safetensors: metadata %r" % (meta,))
    expect(n % 8 == 0, "c_mix.safetensors: header of %d bytes, not 8-aligned" % n)
    same_dict(st, want, "c_mix.safetensors")
    # A model's state_dict, saved from C, loads into the model.
    m = model()
    m.load_state_dict(torch.load(os.path.join(d, "c_model.pt")))
    same_dict(m.state_dict(), torch.load(os.path.join(d, "py_model.pt")), "c_model.pt")
    # The same through ts_store_save, both formats.
    m = model()
    m.load_state_dict(torch.load(os.path.join(d, "c_store.pt")))
    same_dict(m.state_dict(), torch.load(os.path.join(d, "py_model.pt")), "c_store.pt")
    st, meta, n = st_load(os.path.join(d, "c_store.safetensors"))
    same_dict(st, torch.load(os.path.join(d, "py_model.pt")), "c_store.safetensors")


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(8, 3))


class Evil:
    def __reduce__(self):
        return (os.system, ("echo checkpoint_ref: THE PICKLE RAN CODE; exit 1",))


def write_py_files(d):
    p = lambda name: os.path.join(d, name)
    mix = case_mix()
    torch.save(mix, p("py_mix.pt"))
    torch.save(mix, p("py_mix_p4.pt"), pickle_protocol=4)
    st_save(mix, p("py_mix.safetensors"), metadata={"format": "pt", "note": "\u00e9\\\"x"})
    st_save(mix, p("py_mix_nometa.safetensors"))
    m = model()
    with torch.no_grad():
        m[1].running_mean.uniform_()
        m[1].running_var.uniform_(1, 2)
        m[1].num_batches_tracked.fill_(7)
    sd = m.state_dict()
    torch.save(sd, p("py_model.pt"))
    bad = collections.OrderedDict(sd)
    bad["3.weight"] = torch.zeros(3, 4)
    torch.save(bad, p("model_bad_shape.pt"))
    bad = collections.OrderedDict(sd)
    bad["1.num_batches_tracked"] = torch.tensor(7, dtype=torch.int32)
    torch.save(bad, p("model_bad_dtype.pt"))
    bad = collections.OrderedDict(sd)
    bad["4.weight"] = torch.zeros(2)
    torch.save(bad, p("model_extra.pt"))
    bad = collections.OrderedDict(sd)
    del bad["3.bias"]
    torch.save(bad, p("model_missing.pt"))
    # A Parameter (not detached) goes through _rebuild_parameter; shared storage.
    w = torch.nn.Parameter(torch.arange(4.0))
    torch.save(collections.OrderedDict([("p", w), ("q", w.detach()[1:3])]), p("py_param.pt"))

    # The bad-checkpoint catalogue: each differs from mix in one way.
    bad = collections.OrderedDict(mix)
    bad["w.f32"] = torch.zeros(3, 2)
    torch.save(bad, p("bad_shape.pt"))
    st_save(bad, p("bad_shape.safetensors"))
    bad = collections.OrderedDict(mix)
    bad["n.i16"] = torch.zeros(2, dtype=torch.int32)
    torch.save(bad, p("bad_dtype.pt"))
    st_save(bad, p("bad_dtype.safetensors"))
    bad = collections.OrderedDict(mix)
    del bad["n.i8"]
    torch.save(bad, p("bad_missing.pt"))
    st_save(bad, p("bad_missing.safetensors"))
    bad = collections.OrderedDict(mix)
    bad["z.extra"] = torch.zeros(1)
    torch.save(bad, p("bad_extra.pt"))
    st_save(bad, p("bad_extra.safetensors"))
    torch.save(mix, p("bad_legacy.pt"), _use_new_zipfile_serialization=False)
    bad = collections.OrderedDict(mix)
    bad["opt"] = [1, 2]
    torch.save(bad, p("bad_list.pt"))
    bad = collections.OrderedDict(mix)
    bad["evil"] = Evil()
    torch.save(bad, p("bad_evil.pt"))
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), p("bad_script.pt"))
    # safetensors headers: corrupt JSON, wrong types, bad offsets.
    hooks = {
        "bad_json": lambda h: h.replace(b'"w.f32":', b'"w.f32";', 1),
        "bad_trailing": lambda h: h + b"x",
        "bad_dupkey": lambda h: h[:-1] + b',"w.f32":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}',
        "bad_unknown_dtype": lambda h: h.replace(b'"F64"', b'"Q64"', 1),
        "bad_u16": lambda h: h.replace(b'"I16"', b'"U16"', 1),
        "bad_field": lambda h: h.replace(b'"dtype":"F32"', b'"dtype":"F32","extra":1', 1),
        "bad_float_shape": lambda h: h.replace(b'"shape":[2,3]', b'"shape":[2.0,3]', 1),
        "bad_escape": lambda h: h.replace(b'"w.f32"', b'"w.f\\q32"', 1),
        "bad_overlap": lambda h: h.replace(b'"data_offsets":[24,56]', b'"data_offsets":[16,48]', 1),
    }
    for name, hook in hooks.items():
        st_save(mix, p(name + ".safetensors"), header_hook=hook)
    st_save(mix, p("bad_bool.safetensors"),
            data_hook=lambda b: b[:24 + 32 + 8] + b"\x02" + b[24 + 32 + 8 + 1:])
    st_save(mix, p("bad_tail.safetensors"), data_hook=lambda b: b + b"\0" * 8)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        write_py_files(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check_c_files(sys.argv[2])
    else:
        sys.exit("usage: checkpoint_ref.py gen DIR | check DIR")
    if failures:
        sys.exit(1)
    print("checkpoint_ref.py: ok")


if __name__ == "__main__":
    main()
