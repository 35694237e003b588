;; The short-needle prefilter (src/match/short-prefilter.ts): a Teddy-style scan (Hyperscan's
;; literal matcher, described in its public docs) in WebAssembly SIMD. Each position's first
;; three bytes are looked up by nibble in six 16-byte masks; a lane whose eight bucket bits
;; survive all six is a candidate if its three bytes also hash to a bit set in an 8 KiB filter
;; of the needles' first three bytes (nibble masks let through the needles' bytes recombined:
;; most lanes they pass start no needle), confirmed in JavaScript against its bucket's needles.
;; Memory: masks at 0..95 (lo/hi nibble of byte 0, 1, 2), a scratch vector at 128, the bytes
;; at 1024 (256 KiB, then 32 zero bytes), candidates (u32: position << 8 | buckets) at 264192,
;; the filter (bit h of (b0 | b1 << 8 | b2 << 16) * 0x9e3779b1 >>> 16) at 1316864.
;; Build: `npm run build:wasm` writes short-prefilter-wasm.ts (test/match checks they agree).
(module
  (memory (export "memory") 22)
  (func (export "scan") (param $limit i32) (result i32)
    (local $i i32) (local $out i32) (local $m i32) (local $lane i32) (local $p i32) (local $h i32)
    (local $r v128) (local $v v128) (local $nib v128)
    (local $loc v128) (local $hic v128) (local $lon v128) (local $hin v128)
    (local $lo0 v128) (local $hi0 v128) (local $lo1 v128) (local $hi1 v128) (local $lo2 v128) (local $hi2 v128)
    (local.set $nib (i8x16.splat (i32.const 15)))
    (local.set $lo0 (v128.load (i32.const 0)))
    (local.set $hi0 (v128.load (i32.const 16)))
    (local.set $lo1 (v128.load (i32.const 32)))
    (local.set $hi1 (v128.load (i32.const 48)))
    (local.set $lo2 (v128.load (i32.const 64)))
    (local.set $hi2 (v128.load (i32.const 80)))
    (local.set $out (i32.const 264192))
    (local.set $v (v128.load offset=1024 align=1 (i32.const 0)))
    (local.set $loc (v128.and (local.get $v) (local.get $nib)))
    (local.set $hic (i8x16.shr_u (local.get $v) (i32.const 4)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $limit)))
        (local.set $v (v128.load offset=1040 align=1 (local.get $i)))
        (local.set $lon (v128.and (local.get $v) (local.get $nib)))
        (local.set $hin (i8x16.shr_u (local.get $v) (i32.const 4)))
        (local.set $r (v128.and
          (v128.and
            (i8x16.swizzle (local.get $lo0) (local.get $loc))
            (i8x16.swizzle (local.get $hi0) (local.get $hic)))
          (v128.and
            (i8x16.swizzle (local.get $lo1) (i8x16.shuffle 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 (local.get $loc) (local.get $lon)))
            (i8x16.swizzle (local.get $hi1) (i8x16.shuffle 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 (local.get $hic) (local.get $hin))))))
        (local.set $r (v128.and (local.get $r)
          (v128.and
            (i8x16.swizzle (local.get $lo2) (i8x16.shuffle 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 (local.get $loc) (local.get $lon)))
            (i8x16.swizzle (local.get $hi2) (i8x16.shuffle 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 (local.get $hic) (local.get $hin))))))
        (local.set $loc (local.get $lon))
        (local.set $hic (local.get $hin))
        (if (v128.any_true (local.get $r))
          (then
            (v128.store (i32.const 128) (local.get $r))
            (local.set $m (i8x16.bitmask (i8x16.ne (local.get $r) (v128.const i64x2 0 0))))
            (block $emitted
              (loop $lanes
                (br_if $emitted (i32.eqz (local.get $m)))
                (local.set $lane (i32.ctz (local.get $m)))
                (local.set $p (i32.add (local.get $i) (local.get $lane)))
                (local.set $h (i32.shr_u
                  (i32.mul (i32.and (i32.load offset=1024 align=1 (local.get $p)) (i32.const 0xffffff)) (i32.const 0x9e3779b1))
                  (i32.const 16)))
                (if (i32.and
                      (i32.lt_u (local.get $p) (local.get $limit))
                      (i32.ne (i32.const 0)
                        (i32.and (i32.load8_u offset=1316864 (i32.shr_u (local.get $h) (i32.const 3)))
                                 (i32.shl (i32.const 1) (i32.and (local.get $h) (i32.const 7))))))
                  (then
                    (i32.store (local.get $out)
                      (i32.or (i32.shl (local.get $p) (i32.const 8))
                              (i32.load8_u offset=128 (local.get $lane))))
                    (local.set $out (i32.add (local.get $out) (i32.const 4)))))
                (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
                (br $lanes)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))
    (i32.shr_u (i32.sub (local.get $out) (i32.const 264192)) (i32.const 2)))
)
