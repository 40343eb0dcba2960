#!/usr/bin/env python3
"""Seeded generator of randomised oracle scenarios (harness format, /work/shared/oracle/README.md).

usage: gen.py SEED [--kernel 6.1|6.12] [--out DIR]  -> DIR/r<SEED>.json

Mixes e820 (memmap=) ranges of random size/start granularity (adjacent or not), QEMU NVDIMMs
with/without labels at random addresses, and random ndctl/daxctl step sequences.
"""
import argparse, json, os, random

K, M, G = 1 << 10, 1 << 20, 1 << 30


def hx(v):
    return "0x%x" % v


def pick(rng, weighted):
    tot = sum(w for _, w in weighted)
    x = rng.uniform(0, tot)
    for v, w in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][0]


def rsize(rng, lo, hi, gran):
    n_lo = max(1, -(-lo // gran))
    n_hi = max(n_lo, hi // gran)
    return rng.randint(n_lo, n_hi) * gran


ALIGNS = [(None, 40), ("4K", 20), ("2M", 25), ("1G", 15)]
SECTOR = [(None, 60), ("512", 20), ("4096", 10), ("520", 5), ("4104", 5)]
REGALIGN = [("0x1000", 35), ("0x200000", 35), ("0x4000000", 15), ("0x1000000", 15)]


def create_args(rng, allow_mem=True):
    mode = pick(rng, [("fsdax", 35), ("devdax", 35), ("sector", 15), ("raw", 15)])
    a = ["-m", mode]
    if mode in ("fsdax", "devdax"):
        if allow_mem and rng.random() < 0.25:
            a += ["-M", "mem"]
        al = pick(rng, ALIGNS)
        if al:
            a += ["-a", al]
    elif mode == "sector":
        l = pick(rng, SECTOR)
        if l:
            a += ["-l", l]
    return mode, a


def label_of(a):
    s = a[1]
    if "-M" in a:
        s += "_mem"
    if "-a" in a:
        s += "_" + a[a.index("-a") + 1]
    if "-l" in a:
        s += "_l" + a[a.index("-l") + 1]
    return s


class Gen:
    def __init__(self, seed, kernel):
        self.rng = random.Random(seed)
        self.seed = seed
        self.kernel = kernel
        self.script = []
        self.desc = []
        self.nstep = 0

    def step_count(self):
        return sum(1 for l in self.script if "step " in l)

    # ---- platform
    def e820(self):
        rng = self.rng
        n = pick(rng, [(0, 25), (1, 35), (2, 25), (3, 15)])
        ranges = []
        cur = rng.choice([512 * M, 640 * M, 768 * M, 900 * M, 1000 * M])
        total = 0
        for i in range(n):
            gran = pick(rng, [(64 * K, 3), (1 * M, 12), (2 * M, 35), (16 * M, 25), (128 * M, 25)])
            sgran = pick(rng, [(1 * M, 10), (2 * M, 35), (16 * M, 25), (128 * M, 30)])
            size = rsize(rng, 8 * M, rng.choice([64 * M, 200 * M, 400 * M]), gran)
            if ranges and rng.random() < 0.35:
                start = cur                   # adjacent to the previous one
            else:
                gap = rng.choice([0, 2 * M, 4 * M, 1 * M, 16 * M, 100 * M, 130 * M])
                start = -(-(cur + gap) // sgran) * sgran
            if start + size > 0x7fe00000 or total + size > 800 * M:
                break
            ranges.append((start, size))
            cur = start + size
            total += size
        return ranges

    def nvdimms(self):
        rng = self.rng
        n = pick(rng, [(0, 15), (1, 35), (2, 35), (3, 15)])
        dims = []
        cur = 4 * G
        for i in range(n):
            agran = pick(rng, [(4 * K, 5), (1 * M, 10), (2 * M, 25), (16 * M, 20), (128 * M, 25), (1 * G, 15)])
            labelled = rng.random() < 0.4
            if labelled:
                sgran = pick(rng, [(16 * M, 30), (128 * M, 40), (1 * G, 30)])
                size = rsize(rng, 256 * M, 3 * G, sgran)
            else:
                sgran = pick(rng, [(4 * K, 5), (1 * M, 15), (2 * M, 30), (16 * M, 25), (128 * M, 25)])
                size = rsize(rng, 32 * M, rng.choice([256 * M, 1 * G, 2 * G]), sgran)
            if dims and rng.random() < 0.3:
                addr = cur                    # adjacent to the previous DIMM
            else:
                addr = -(-(cur + rng.choice([0, 4 * K, 2 * M, 64 * M, 1 * G])) // agran) * agran
            d = {"id": "nv%d" % i, "file": "D%d" % i, "addr": hx(addr)}
            if labelled:
                d["size"] = hx(size + 128 * K)
                d["label_size"] = "128K"
            else:
                d["size"] = hx(size)
            dims.append((d, addr, size, labelled))
            cur = addr + size + (128 * K if labelled else 0)
        return dims

    # ---- steps
    def labelless_seq(self, tag, nsvar, rvar, region_size):
        rng = self.rng
        if region_size % (16 * M) and rng.random() < 0.75:
            # make the size acceptable to ndctl's region-align check more often than not
            self.script.append("setalign $%s %s" % (rvar, "0x1000" if region_size % (2 * M) or rng.random() < 0.4 else "0x200000"))
        for j in range(rng.randint(2, 5)):
            if rng.random() < 0.1:
                v = pick(rng, REGALIGN)
                if int(v, 16) and region_size % int(v, 16) and rng.random() < 0.8:
                    v = "0x1000" if region_size % (2 * M) else "0x200000"
                self.script.append("setalign $%s %s" % (rvar, v))
            if rng.random() < 0.2:   # history: a 1G attempt (often failing) then the default align
                m2 = rng.choice(["fsdax", "devdax"])
                for a2 in (["-m", m2, "-a", "1G"], ["-m", rng.choice(["fsdax", "devdax"])]):
                    self.script.append("step %s_%s ndctl create-namespace -f -e $%s %s; %s_RC=$_src" % (tag, label_of(a2), nsvar, " ".join(a2), tag))
            mode, a = create_args(rng)
            lab = "%s_%s" % (tag, label_of(a))
            nf = rng.random() < 0.12   # without -f: ndctl refuses an active namespace
            self.script.append("step %s%s ndctl create-namespace %s-e $%s %s; %s_RC=$_src" % (lab, "_noforce" if nf else "", "" if nf else "-f ", nsvar, " ".join(a), tag))
            if mode == "devdax" and rng.random() < 0.45:
                self.script.append('if [ "$%s_RC" = 0 ]; then D=$(dax_of $%s); [ -n "$D" ] && step %s_kmem daxctl reconfigure-device --mode=system-ram $D; fi' % (tag, nsvar, tag))
                return   # the namespace is busy from now on

    def labelled_seq(self, tag, rvar, size):
        rng = self.rng
        live = []   # variable names that may hold a namespace
        nvar = 0
        ra_cur = 16 * M
        for j in range(rng.randint(3, 7)):
            op = pick(rng, [("create", 55), ("destroy", 10), ("reconf", 15), ("setalign", 8), ("kmem", 5), ("small", 10)])
            if op == "small":   # a namespace under 16M (region align lowered first), then a reconfiguration
                ra = rng.choice(["0x1000", "0x200000"])
                self.script.append("setalign $%s %s" % (rvar, ra))
                ra_cur = int(ra, 16)
                s_ = rng.randint(1, 15) * M if ra == "0x200000" and rng.random() < 0.5 else rsize(rng, 1 * M, 15 * M, 4 * K)
                if ra == "0x200000":
                    s_ = max(2 * M, s_ - s_ % (2 * M))
                nvar += 1
                v = "%s%d" % (tag, nvar)
                m0 = rng.choice(["raw", "raw", "sector", "fsdax"])
                self.script.append("step %s_%s_small ndctl create-namespace -f -r $%s -m %s -s %dK; %s=$LASTDEV" % (v, m0, rvar, m0, s_ // K, v))
                mode, a = create_args(rng)
                self.script.append('if [ -n "$%s" ]; then step %s_re_%s ndctl create-namespace -f -e $%s %s; fi' % (v, v, label_of(a), v, " ".join(a)))
                live.append(v)
            elif op == "setalign":
                v = pick(rng, REGALIGN)
                ra_cur = int(v, 16)
                self.script.append("setalign $%s %s" % (rvar, v))
            elif op == "destroy" and live:
                v = rng.choice(live)
                live.remove(v)
                self.script.append('if [ -n "$%s" ]; then run %s_destroy ndctl destroy-namespace -f $%s; %s=; fi' % (v, v, v, v))
            elif op == "reconf" and live:
                v = rng.choice(live)
                mode, a = create_args(rng)
                f = "-f " if rng.random() < 0.7 else ""
                self.script.append('if [ -n "$%s" ]; then step %s_re_%s ndctl create-namespace %s-e $%s %s; fi' % (v, v, label_of(a), f, v, " ".join(a)))
            elif op == "kmem" and live:
                v = rng.choice(live)
                a = ["-m", "devdax"] + (["-a", "2M"] if rng.random() < 0.5 else [])
                self.script.append('if [ -n "$%s" ]; then step %s_re_%s ndctl create-namespace -f -e $%s %s; %s_RC=$_src; '
                                   'if [ "$%s_RC" = 0 ]; then D=$(dax_of $%s); [ -n "$D" ] && step %s_kmem daxctl reconfigure-device --mode=system-ram $D; fi; fi'
                                   % (v, v, label_of(a), v, " ".join(a), v, v, v, v))
                live.remove(v)   # busy
            else:
                mode, a = create_args(rng)
                sz = pick(rng, [("2M", 25), ("16M", 40), ("4K", 7), ("big", 3), (None, 12), ("1G", 8 if size >= 1536 * M else 0)])
                if sz == "2M":
                    s = rsize(rng, 2 * M, 200 * M, 2 * M if rng.random() < 0.3 else max(2 * M, ra_cur))
                elif sz == "16M":
                    s = rsize(rng, 16 * M, 640 * M, 16 * M)
                elif sz == "4K":
                    s = rsize(rng, 1 * M, 64 * M, 4 * K if rng.random() < 0.3 else ra_cur)
                elif sz == "1G":
                    s = rng.choice([1, 2]) * G
                elif sz == "big":
                    s = size + rng.choice([16 * M, 1 * G])
                else:
                    s = None
                if s is not None:
                    a += ["-s", "%dK" % (s // K) if s % M else "%dM" % (s // M)]
                force = rng.random() < 0.5
                nvar += 1
                v = "%s%d" % (tag, nvar)
                lab = "%s_%s%s" % (v, label_of(a), "_" + a[-1] if s is not None else "_dflt")
                self.script.append("step %s ndctl create-namespace %s-r $%s %s; %s=$LASTDEV"
                                   % (lab, "-f " if force else "", rvar, " ".join(a), v))
                live.append(v)

    def build(self):
        rng = self.rng
        ranges = self.e820()
        dims = self.nvdimms()
        if not ranges and not dims:
            ranges = [(1024 * M + rng.choice([0, 2 * M, 1 * M]), rng.choice([96 * M, 130 * M, 256 * M]))]
        sc = {"description": "", "mem": "2G", "timeout": 900}
        if ranges:
            sc["cmdline"] = " ".join("memmap=%s!%s" % (hx(s), hx(a)) for a, s in ranges)
        if dims:
            sc["nvdimms"] = [d for d, _, _, _ in dims]
        if self.kernel == "6.12":
            self.script.append("runsh auto_online_policy 'echo offline > /sys/devices/system/memory/auto_online_blocks; cat /sys/devices/system/memory/auto_online_blocks'")
        self.script.append("run regions_info sh -c 'for r in /sys/bus/nd/devices/region*; do echo ${r##*/} res=$(cat $r/resource) size=$(cat $r/size) align=$(cat $r/align) avail=$(cat $r/available_size) nstype=$(cat $r/nstype); done; grep -i persist /proc/iomem'")
        jobs = []
        for i, (a, s) in enumerate(ranges):
            t = "E%d" % i
            self.script.append("R%s=$(region_at %s); N%s=$(ns_at %s); echo %s $R%s $N%s" % (t, hx(a), t, hx(a), t, t, t))
            jobs.append(("ll", t, s))
        for i, (d, addr, size, lab) in enumerate(dims):
            t = "V%d" % i
            self.script.append("R%s=$(region_at %s); N%s=$(ns_at %s); echo %s $R%s $N%s" % (t, hx(addr), t, hx(addr), t, t, t))
            if lab:
                self.script += ["run %s_disable_region ndctl disable-region $R%s" % (t, t),
                                "run %s_init_labels ndctl init-labels -f $(cut -d, -f1 /sys/bus/nd/devices/$R%s/mapping0)" % (t, t),
                                "run %s_enable_region ndctl enable-region $R%s" % (t, t)]
                jobs.append(("lab", t, size))
            else:
                jobs.append(("ll", t, size))
        # interleave the per-target sequences a little: shuffle job order
        rng.shuffle(jobs)
        for kind, t, s in jobs:
            if kind == "ll":
                self.labelless_seq(t, "N" + t, "R" + t, s)
            else:
                self.labelled_seq(t, "R" + t, s)
        self.script.append("run list_end ndctl list -Nvvv")
        self.script.append("run iomem_end sh -c 'grep -i -e persist -e kmem /proc/iomem'")
        sc["description"] = "rand seed %d (kernel %s): e820 %s; nvdimms %s" % (
            self.seed, self.kernel, ["%s@%s" % (hx(s), hx(a)) for a, s in ranges],
            ["%s@%s%s" % (hx(sz), hx(ad), "+labels" if lb else "") for _, ad, sz, lb in dims])
        sc["script"] = self.script
        return sc


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", type=int)
    ap.add_argument("--kernel", default="6.1")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios"))
    ap.add_argument("--max-steps", type=int, default=22)
    ap.add_argument("--min-steps", type=int, default=12)
    args = ap.parse_args()
    seed = args.seed
    while True:   # keep boots around 5 minutes: regenerate with the next sub-seed when too long
        g = Gen(seed, args.kernel)
        sc = g.build()
        if args.min_steps <= g.step_count() <= args.max_steps:
            break
        seed += 100000
    os.makedirs(args.out, exist_ok=True)
    name = "r%d%s" % (args.seed, "_612" if args.kernel == "6.12" else "")
    p = os.path.join(args.out, name + ".json")
    json.dump(sc, open(p, "w"), indent=1)
    print(p, g.step_count(), "steps")
