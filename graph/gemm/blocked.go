package gemm

// sgemmBlocked computes C = alpha*op(A)*op(B) + beta*C on the calling
// goroutine with kernel kern. A kernel pads the columns of its tile to nr but
// computes edge rows exactly. So when m pads to a multiple of nr with less
// waste than n does, sgemmBlocked computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead and
// stores each tile transposed. For n = 49 and m = 512 that saves 15 of every
// 64 lanes.
func sgemmBlocked(kern *microKernel, ws *workspace, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if kern.tileT != nil && roundUp(m, kern.nr)*n < roundUp(n, kern.nr)*m {
		// op(B)ᵀ is B read with the opposite transpose flag, so the packers need no new case.
		sgemmLoops(kern, ws, true, !transB, !transA, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc)
		return
	}
	sgemmLoops(kern, ws, false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmLoops computes the m×n product P = alpha*op(A)*op(B) into C, as C =
// P + beta*C, or as Cᵀ = P + beta*Cᵀ when transC is set. The loops follow
// the GotoBLAS order. A kc×nc block of B is packed once for all row blocks,
// and an mc×kc block of A is packed for each of them. The micro-kernel then
// sweeps the tiles with the B micro-panel in the outer loop, so that panel
// stays in L1 while the A micro-panels stream from L2.
func sgemmLoops(kern *microKernel, ws *workspace, transC, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	// Split each dimension into equal blocks no larger than the kernel's
	// limits, so no block is left with a thin remainder (k = 576 runs as three
	// blocks of 192 rather than 256+256+64).
	kcBlock := balancedBlock(k, kern.kc, 8)
	mcBlock := balancedBlock(m, kern.mc, mr)
	ncBlock := balancedBlock(n, kern.nc, nr)
	// Size the buffers for the largest blocks, not this call's, so that a
	// workspace reused for calls or strips of other shapes never grows.
	ws.packA = alignedFloats(ws.packA, kern.mc*kern.kc)
	ws.packB = alignedFloats(ws.packB, kern.kc*kern.nc)
	ws.tile = alignedFloats(ws.tile, mr*nr)

	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcBlock {
			kc := min(kcBlock, k-pc)
			packB(ws.packB, kern.pack, transB, b, ldb, pc, jc, kc, nc, nr)
			// Only the first block of k applies the caller's beta; later blocks add.
			blockBeta := beta
			if pc > 0 {
				blockBeta = 1
			}
			for ic := 0; ic < m; ic += mcBlock {
				mc := min(mcBlock, m-ic)
				packA(ws.packA, kern.pack, transA, a, lda, ic, pc, mc, kc, mr)
				var block []float32 // C from the block's first element on
				if transC {
					block = c[jc*ldc+ic:]
				} else {
					block = c[ic*ldc+jc:]
				}
				macroKernel(kern, ws, transC, mc, nc, kc, alpha, blockBeta, block, ldc)
			}
		}
	}
}

// macroKernel multiplies the packed mc×kc block of A by the packed kc×nc block
// of B into the block of C that starts at c[0] (stored transposed if transC).
func macroKernel(kern *microKernel, ws *workspace, transC bool, mc, nc, kc int, alpha, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bPanel := &ws.packB[(jr/nr)*kc*nr]
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			aPanel := &ws.packA[(ir/mr)*kc*mr]
			switch {
			case rows == mr && cols == nr && !transC:
				kern.tile(kc, aPanel, bPanel, &c[ir*ldc+jr], ldc, alpha, beta)
			case rows == mr && cols == nr:
				kern.tileT(kc, aPanel, bPanel, &c[jr*ldc+ir], ldc, alpha, beta)
			default:
				// Edge tile: compute it into scratch, then merge the valid part.
				tileKernel := kern.tile
				if rows < mr {
					tileKernel = kern.edge[rows]
				}
				tileKernel(kc, aPanel, bPanel, &ws.tile[0], nr, alpha, 0)
				mergeTile(ws.tile, nr, transC, rows, cols, beta, c, ir, jr, ldc)
			}
		}
	}
}

// mergeTile adds the rows×cols tile t (row stride nr) to C as C = t + beta*C
// at rows ir.., columns jr.., or at the transposed position if transC.
func mergeTile(t []float32, nr int, transC bool, rows, cols int, beta float32, c []float32, ir, jr, ldc int) {
	if transC {
		for j := 0; j < cols; j++ {
			dst := c[(jr+j)*ldc+ir : (jr+j)*ldc+ir+rows]
			for i := range dst {
				v := t[i*nr+j]
				if beta != 0 {
					v += beta * dst[i]
				}
				dst[i] = v
			}
		}
		return
	}
	for i := 0; i < rows; i++ {
		dst := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+cols]
		src := t[i*nr : i*nr+cols]
		if beta == 0 {
			copy(dst, src)
			continue
		}
		for j, v := range src {
			dst[j] = beta*dst[j] + v
		}
	}
}

// balancedBlock returns the block size that splits size into the fewest
// blocks of at most limit, rounded up to a multiple of unit. The result never
// exceeds max(limit, unit) when limit is a multiple of unit.
func balancedBlock(size, limit, unit int) int {
	blocks := (size + limit - 1) / limit
	return min(roundUp((size+blocks-1)/blocks, unit), max(limit, unit))
}

func roundUp(x, multiple int) int {
	return (x + multiple - 1) / multiple * multiple
}
