"""Random rows of a pack shard that is not in the page cache, read through a memory map as the pack source reads them
(256-byte rows: 64 float32; 128 rows a batch), with or without madvise(MADV_WILLNEED) on the whole map first.

    /usr/bin/python3 bench/pack_cold.py SHARD plain|willneed [BATCHES]

The shard is dropped from the page cache first (posix_fadvise DONTNEED: clean pages only; check with `fincore SHARD`).
"""
import mmap
import os
import random
import sys
import time

path, advise = sys.argv[1], sys.argv[2] == "willneed"
batches = int(sys.argv[3]) if len(sys.argv) > 3 else 200
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
m = mmap.mmap(fd, size, prot=mmap.PROT_READ)
start = time.perf_counter()
if advise:
    m.madvise(mmap.MADV_WILLNEED)
rows = size // 256
rng = random.Random(0)
worst = total = 0.0
for _ in range(batches):
    t = time.perf_counter()
    for _ in range(128):
        m[rng.randrange(rows) * 256]
    dt = time.perf_counter() - t
    worst = max(worst, dt)
    total += dt
print(f"{os.path.basename(path)} {'willneed' if advise else 'plain'}: {batches} batches {total * 1000:.0f} ms "
      f"(worst {worst * 1000:.1f} ms), with the hint {(time.perf_counter() - start) * 1000:.0f} ms")
