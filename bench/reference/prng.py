"""The engine's seeded PRNG (src/engine/prng.ts: splitmix32-seeded sfc32), for draws a reference must
repeat exactly, such as MoCo's per-step key shuffle."""
import math

M = 0xffffffff


class Prng:
    def __init__(self, seed):
        x, s = seed & M, []
        for _ in range(4):
            x = (x + 0x9e3779b9) & M
            z = x
            z = ((z ^ (z >> 16)) * 0x85ebca6b) & M
            z = ((z ^ (z >> 13)) * 0xc2b2ae35) & M
            s.append((z ^ (z >> 16)) & M)
        self.s = s
        for _ in range(12):
            self.next_uint32()

    def next_uint32(self):
        a, b, c, d = self.s
        t = (a + b + d) & M
        d = (d + 1) & M
        a = b ^ (b >> 9)
        b = (c + (c << 3)) & M
        c = ((c << 21) | (c >> 11)) & M
        c = (c + t) & M
        self.s = [a, b, c, d]
        return t

    def next(self):
        """Uniform in [0, 1)."""
        return self.next_uint32() / 4294967296

    def int(self, lo, hi):
        return lo + math.floor(self.next() * (hi - lo + 1))
