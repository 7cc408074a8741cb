"""Reference Ethash values from Debian's python3-pyethash.

The Python binding of python3-pyethash does not work under Python 3.10 and
later (its argument parsing lacks PY_SSIZE_T_CLEAN), so this script calls
the C ethash library that the binding's shared object carries through
ctypes. It reads JSON requests on stdin and writes JSON answers on stdout:

  {"sizes": [block, ...],
   "caches": [block, ...],
   "hashes": [[block, header_hex, nonce], ...]}
"""
import ctypes
import glob
import hashlib
import json
import sys

so = glob.glob("/usr/lib/python3/dist-packages/pyethash*.so")
if not so:
    sys.exit("python3-pyethash is not installed (scripts/install-deps installs it)")
lib = ctypes.CDLL(so[0])


class H256(ctypes.Structure):
    _fields_ = [("b", ctypes.c_uint8 * 32)]


class Light(ctypes.Structure):
    _fields_ = [("cache", ctypes.c_void_p), ("cache_size", ctypes.c_uint64),
                ("block_number", ctypes.c_uint64)]


class Return(ctypes.Structure):
    _fields_ = [("result", H256), ("mix_hash", H256), ("success", ctypes.c_bool)]


lib.ethash_get_cachesize.restype = ctypes.c_uint64
lib.ethash_get_cachesize.argtypes = [ctypes.c_uint64]
lib.ethash_get_datasize.restype = ctypes.c_uint64
lib.ethash_get_datasize.argtypes = [ctypes.c_uint64]
lib.ethash_light_new.restype = ctypes.POINTER(Light)
lib.ethash_light_new.argtypes = [ctypes.c_uint64]
lib.ethash_light_delete.argtypes = [ctypes.POINTER(Light)]
lib.ethash_light_compute.restype = Return
lib.ethash_light_compute.argtypes = [ctypes.POINTER(Light), H256, ctypes.c_uint64]

req = json.load(sys.stdin)
out = {"sizes": [], "caches": [], "hashes": []}
for block in (req.get("sizes") or []):
    out["sizes"].append([lib.ethash_get_cachesize(block), lib.ethash_get_datasize(block)])
lights = {}


def light(block):
    epoch = block // 30000
    if epoch not in lights:
        lights[epoch] = lib.ethash_light_new(block)
    return lights[epoch]


for block in (req.get("caches") or []):
    l = light(block).contents
    data = ctypes.string_at(l.cache, l.cache_size)
    out["caches"].append(hashlib.sha256(data).hexdigest())
for block, header, nonce in (req.get("hashes") or []):
    h = H256()
    ctypes.memmove(h.b, bytes.fromhex(header), 32)
    r = lib.ethash_light_compute(light(block), h, nonce)
    if not r.success:
        sys.exit("ethash_light_compute failed")
    out["hashes"].append([bytes(r.mix_hash.b).hex(), bytes(r.result.b).hex()])
for l in lights.values():
    lib.ethash_light_delete(l)
json.dump(out, sys.stdout)
