#!/usr/bin/env python3
"""Seeded generator of randomised oracle scenarios (the format of the project's QEMU oracle harness).

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
        merged = []   # the kernel merges overlapping/adjacent memmap ranges of one type (e820__update_table)
        for a, s in sorted(ranges):   # observed (s202): adjacent ranges stay separate regions; only overlaps merge here
            if merged and a < merged[-1][0] + merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], a + s - merged[-1][0]))
            else:
                merged.append((a, s))
        for i, (a, s) in enumerate(merged):
            t = "E%d" % i
            self.script.append('R%s=$(region_at %s); N%s=; [ -n "$R%s" ] && N%s=$(ns_of_region $R%s); echo %s $R%s $N%s' % (t, hx(a), t, t, t, t, t, t, t))
            jobs.append(("ll", t, s))
        for i, (d, addr, size, lab) in enumerate(dims):
            t = "V%d" % i
            self.script.append('R%s=$(region_at %s); N%s=; [ -n "$R%s" ] && N%s=$(ns_of_region $R%s); echo %s $R%s $N%s' % (t, hx(addr), t, t, t, t, t, t, t))
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


# ------------------------------------------------------------------ round 2 (gen2.py)
SECTOR_ALL = [(None, 16), ("512", 12), ("520", 12), ("528", 12), ("4096", 12), ("4104", 12), ("4160", 12), ("4224", 12)]


class Gen2(Gen):
    """Round 2: themes the first round covered least.
    lab:    labelled NVDIMMs, init-labels -V 1.1 / -V 1.2 / default; many namespaces, sector mode with every
            sector size and odd sizes, destroy + recreate (holes, first fit), sizes not multiples of 16M,
            default size, disable-namespace then -e without -f
    virtio: virtio-pmem devices (oracle3) of odd sizes/addresses, label-less sequences + kmem
    e820:   memmap= ranges overlapping / adjacent / straddling section boundaries, devdax 4K/2M/1G + kmem
    """

    def theme(self):
        if self.seed % 100000 >= 216:   # the last seeds of the round: virtio-pmem (drawn only once in 201-215)
            self.rng.random()
            return "virtio"
        return pick(self.rng, [("lab", 45), ("virtio", 25), ("e820", 30)])

    def e820_2(self):
        rng = self.rng
        n = pick(rng, [(1, 25), (2, 45), (3, 30)])
        ranges = []
        base = rng.choice([640 * M, 768 * M, 896 * M, 1000 * M, 1024 * M - rng.choice([2, 4, 16, 64]) * M])
        cur = base
        for i in range(n):
            gran = pick(rng, [(4 * K, 5), (1 * M, 20), (2 * M, 35), (16 * M, 25), (128 * M, 15)])
            size = rsize(rng, 4 * M, rng.choice([48 * M, 136 * M, 260 * M]), gran)
            how = pick(rng, [("adjacent", 35), ("overlap", 15), ("straddle", 25), ("gap", 25)]) if ranges else \
                pick(rng, [("straddle", 50), ("gap", 50)])
            if how == "adjacent":
                start = cur
            elif how == "overlap":
                ps, pz = ranges[-1]
                start = ps + (rng.randint(1, max(1, pz // (2 * M) - 1)) * 2 * M if pz > 4 * M else pz // 2)
            elif how == "straddle":   # across the next 128M section boundary
                b = -(-(cur + 1) // (128 * M)) * (128 * M)
                start = max(cur, b - rsize(rng, 1 * M, min(size - 1 * M, 64 * M) if size > 2 * M else 1 * M, pick(rng, [(1 * M, 40), (2 * M, 60)])))
            else:
                start = -(-(cur + rng.choice([1 * M, 2 * M, 4 * M, 6 * M])) // (1 * M)) * (1 * M)
            if start + size > 0x7fe00000:
                break
            ranges.append((start, size))
            cur = max(cur, start + size)
        return ranges

    def virtio(self, base):
        rng = self.rng
        n = pick(rng, [(1, 30), (2, 45), (3, 25)])
        vps = []
        cur = base
        for i in range(n):
            agran = pick(rng, [(4 * K, 5), (1 * M, 25), (2 * M, 35), (16 * M, 15), (128 * M, 20)])
            sgran = pick(rng, [(4 * K, 5), (1 * M, 30), (2 * M, 30), (16 * M, 20), (128 * M, 15)])
            size = rsize(rng, 4 * M, rng.choice([64 * M, 300 * M, 1 * G + 64 * M]), sgran)
            if vps and rng.random() < 0.3:
                addr = cur
            else:
                addr = -(-(cur + rng.choice([0, 1 * M, 2 * M, 64 * M, 1 * G])) // agran) * agran
            vps.append(({"id": "vp%d" % i, "file": "P%d" % i, "size": hx(size), "addr": hx(addr)}, addr, size))
            cur = addr + size
        return vps

    def kmem_seq(self, tag, nsvar, rvar, region_size):
        """label-less: devdax with 4K/2M/1G (sometimes map=mem), sometimes a reconfiguration first, then kmem"""
        rng = self.rng
        if region_size % (16 * M):
            self.script.append("setalign $%s %s" % (rvar, "0x1000" if region_size % (2 * M) or rng.random() < 0.3 else "0x200000"))
        if rng.random() < 0.5:
            mode, a = create_args(rng)
            self.script.append("step %s_%s ndctl create-namespace -f -e $%s %s; %s_RC=$_src" % (tag, label_of(a), nsvar, " ".join(a), tag))
        a = ["-m", "devdax"] + (["-M", "mem"] if rng.random() < 0.2 else []) + ["-a", pick(rng, [("4K", 35), ("2M", 40), ("1G", 25)])]
        self.script.append("step %s_%s ndctl create-namespace -f -e $%s %s; %s_RC=$_src" % (tag, label_of(a), nsvar, " ".join(a), tag))
        self.script.append('if [ "$%s_RC" = 0 ]; then D=$(dax_of $%s); [ -n "$D" ] && step %s_kmem daxctl reconfigure-device --mode=system-ram $D; fi' % (tag, nsvar, tag))

    def sector_args(self):
        a = ["-m", "sector"]
        l = pick(self.rng, SECTOR_ALL)
        if l:
            a += ["-l", l]
        return a

    def lab_args(self):
        rng = self.rng
        m = pick(rng, [("sector", 40), ("fsdax", 22), ("devdax", 18), ("raw", 20)])
        if m == "sector":
            return m, self.sector_args()
        if m == "raw":
            return m, ["-m", "raw"]
        return create_args_mode(rng, m)

    def labelled_seq2(self, tag, rvar, size):
        rng = self.rng
        live, dead = [], []
        nvar = 0
        ra_cur = 16 * M
        if rng.random() < 0.6:
            v = rng.choice(["0x1000", "0x200000"])
            self.script.append("setalign $%s %s" % (rvar, v))
            ra_cur = int(v, 16)
        for j in range(rng.randint(6, 11)):
            op = pick(rng, [("create", 50), ("destroy", 16 if live else 0), ("reconf", 14 if live else 0),
                            ("disable", 7 if live else 0), ("kmem", 4 if live else 0), ("setalign", 4)])
            if op == "setalign":
                v = pick(rng, [("0x1000", 40), ("0x200000", 40), ("0x1000000", 20)])
                ra_cur = int(v, 16)
                self.script.append("setalign $%s %s" % (rvar, v))
            elif op == "destroy":
                v = rng.choice(live)
                live.remove(v)
                self.script.append('if [ -n "$%s" ]; then run %s_destroy ndctl destroy-namespace -f $%s; %s=; fi' % (v, v, v, v))
            elif op == "disable":   # then -e without -f: ndctl accepts it (not active)
                v = rng.choice(live)
                mode, a = self.lab_args()
                self.script.append('if [ -n "$%s" ]; then run %s_disable ndctl disable-namespace $%s; step %s_re_%s_noforce ndctl create-namespace -e $%s %s; fi'
                                   % (v, v, v, v, label_of(a), v, " ".join(a)))
            elif op == "reconf":
                v = rng.choice(live)
                mode, a = self.lab_args()
                f = "-f " if rng.random() < 0.8 else ""
                self.script.append('if [ -n "$%s" ]; then step %s_re_%s%s ndctl create-namespace %s-e $%s %s; fi'
                                   % (v, v, label_of(a), "" if f else "_noforce", f, v, " ".join(a)))
            elif op == "kmem":
                v = rng.choice(live)
                a = ["-m", "devdax", "-a", pick(rng, [("4K", 30), ("2M", 50), ("1G", 20)])]
                self.script.append('if [ -n "$%s" ]; then step %s_re_%s ndctl create-namespace -f -e $%s %s; %s_RC=$_src; '
                                   'if [ "$%s_RC" = 0 ]; then D=$(dax_of $%s); [ -n "$D" ] && step %s_kmem daxctl reconfigure-device --mode=system-ram $D; fi; fi'
                                   % (v, v, label_of(a), v, " ".join(a), v, v, v, v))
                live.remove(v)
            else:
                mode, a = self.lab_args()
                sz = pick(rng, [("odd", 30), ("16M", 20), ("2M", 15), (None, 15), ("tiny", 8), ("big", 4), ("sector", 8)])
                if sz == "odd":      # not a multiple of 16M: multiple of the current region align (or of 4K)
                    g = ra_cur if rng.random() < 0.7 else 4 * K
                    s = rsize(rng, 16 * M, 300 * M, g)
                    if s % (16 * M) == 0 and g < 16 * M:
                        s += g
                elif sz == "16M":
                    s = rsize(rng, 16 * M, 512 * M, 16 * M)
                elif sz == "2M":
                    s = rsize(rng, 2 * M, 160 * M, 2 * M)
                elif sz == "tiny":
                    s = rsize(rng, 1 * M, 15 * M, max(4 * K, min(ra_cur, 1 * M)))
                elif sz == "sector":   # sizes around BTT arena boundaries / small BTTs
                    s = rng.choice([4 * M, 8 * M, 17 * M, 33 * M, 100 * M, 513 * M]) + rng.choice([0, 4 * K, 2 * M])
                elif sz == "big":
                    s = size + rng.choice([4 * K, 16 * M])
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
        th = self.theme()
        self.desc_theme = th
        ranges, dims, vps = [], [], []
        lver = {}
        if th == "e820":
            ranges = self.e820_2()
            if rng.random() < 0.4:
                dims = self.nvdimms()[:1]
        elif th == "virtio":
            if rng.random() < 0.4:
                ranges = self.e820_2()[:1]
            vps = self.virtio(rng.choice([4 * G, 5 * G, 6 * G + 1 * M]))
        else:
            n = pick(rng, [(1, 60), (2, 40)])
            cur = 4 * G
            for i in range(n):
                agran = pick(rng, [(2 * M, 30), (16 * M, 20), (128 * M, 30), (1 * G, 20)])
                size = rsize(rng, 512 * M, 3 * G, pick(rng, [(16 * M, 40), (128 * M, 40), (1 * G, 20)]))
                addr = -(-(cur + rng.choice([0, 2 * M, 64 * M, 1 * G])) // agran) * agran
                d = {"id": "nv%d" % i, "file": "D%d" % i, "addr": hx(addr), "size": hx(size + 128 * K), "label_size": "128K"}
                dims.append((d, addr, size, True))
                cur = addr + size + 128 * K
                lver[hx(addr)] = pick(rng, [("1.2", 50), ("1.1", 30), (None, 20)])
            if rng.random() < 0.25:
                ranges = self.e820_2()[:1]
        sc = {"description": "", "mem": "2G", "timeout": 1200}
        if ranges:
            sc["cmdline"] = " ".join("memmap=%s!%s" % (hx(s), hx(a)) for a, s in ranges)
        if dims:
            sc["nvdimms"] = [d for d, _, _, _ in dims]
        if vps:
            sc["virtio_pmems"] = [d for d, _, _ in vps]
        sc["x_label_versions"] = lver
        if self.kernel == "6.12":
            self.script.append("runsh auto_online_policy 'echo offline > /sys/devices/system/memory/auto_online_blocks; cat /sys/devices/system/memory/auto_online_blocks'")
        self.script.append("run regions_info sh -c 'for r in /sys/bus/nd/devices/region*; do echo ${r##*/} res=$(cat $r/resource) size=$(cat $r/size) align=$(cat $r/align) avail=$(cat $r/available_size) nstype=$(cat $r/nstype); done; grep -i -e persist -e reserved /proc/iomem; cat /proc/cmdline'")
        jobs = []
        # e820: after e820 merging, several memmap ranges may be one region; locate by each range start
        seen = set()
        merged = []   # the kernel merges overlapping/adjacent memmap ranges of one type (e820__update_table)
        for a, s in sorted(ranges):   # observed (s202): adjacent ranges stay separate regions; only overlaps merge here
            if merged and a < merged[-1][0] + merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], a + s - merged[-1][0]))
            else:
                merged.append((a, s))
        for i, (a, s) in enumerate(merged):
            t = "E%d" % i
            self.script.append('R%s=$(region_at %s); N%s=; [ -n "$R%s" ] && N%s=$(ns_of_region $R%s); echo %s $R%s $N%s' % (t, hx(a), t, t, t, t, t, t, t))
            jobs.append(("ll", t, s))
        for i, (d, addr, size, lab) in enumerate(dims):
            t = "V%d" % i
            self.script.append('R%s=$(region_at %s); N%s=; [ -n "$R%s" ] && N%s=$(ns_of_region $R%s); echo %s $R%s $N%s' % (t, hx(addr), t, t, t, t, t, t, t))
            if lab:
                v = lver.get(hx(addr))
                self.script += ["run %s_disable_region ndctl disable-region $R%s" % (t, t),
                                "run %s_init_labels ndctl init-labels -f%s $(cut -d, -f1 /sys/bus/nd/devices/$R%s/mapping0)" % (t, " -V " + v if v else "", t),
                                "run %s_enable_region ndctl enable-region $R%s" % (t, t)]
                jobs.append(("lab", t, size))
            else:
                jobs.append(("ll", t, size))
        for i, (d, addr, size) in enumerate(vps):
            t = "P%d" % i
            self.script.append('R%s=$(region_at %s); N%s=; [ -n "$R%s" ] && N%s=$(ns_of_region $R%s); echo %s $R%s $N%s' % (t, hx(addr), t, t, t, t, t, t, t))
            jobs.append(("ll", t, size))
        rng.shuffle(jobs)
        for kind, t, s in jobs:
            if kind == "lab":
                self.labelled_seq2(t, "R" + t, s)
            elif th in ("e820", "virtio") and rng.random() < 0.55:
                self.kmem_seq(t, "N" + t, "R" + t, s)
            else:
                self.labelless_seq(t, "N" + t, "R" + t, s)
        self.script.append("run list_end ndctl list -Nvvv")
        self.script.append("run iomem_end sh -c 'grep -i -e persist -e kmem /proc/iomem'")
        sc["description"] = "rand2 seed %d (kernel %s, theme %s): e820 %s; nvdimms %s; virtio %s; labels %s" % (
            self.seed, self.kernel, th, ["%s@%s" % (hx(s), hx(a)) for a, s in ranges],
            ["%s@%s%s" % (hx(sz), hx(ad), "+labels" if lb else "") for _, ad, sz, lb in dims],
            ["%s@%s" % (hx(sz), hx(ad)) for _, ad, sz in vps], lver)
        sc["script"] = self.script
        return sc


def create_args_mode(rng, mode):
    a = ["-m", mode]
    if rng.random() < 0.25:
        a += ["-M", "mem"]
    al = pick(rng, ALIGNS)
    if al:
        a += ["-a", al]
    return mode, a


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", type=int)
    ap.add_argument("--kernel", default="6.1")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios"))
    ap.add_argument("--max-steps", type=int, default=20)
    ap.add_argument("--min-steps", type=int, default=12)
    args = ap.parse_args()
    seed = args.seed
    while True:   # keep boots around 5 minutes: regenerate with the next sub-seed when too long
        g = Gen2(seed, args.kernel)
        sc = g.build()
        if args.min_steps <= g.step_count() <= args.max_steps:
            break
        seed += 100000
    os.makedirs(args.out, exist_ok=True)
    name = "s%d%s" % (args.seed, "_612" if args.kernel == "6.12" else "")
    p = os.path.join(args.out, name + ".json")
    json.dump(sc, open(p, "w"), indent=1)
    print(p, g.step_count(), "steps")
