package graph

import (
	"fmt"
	"math"
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BufferedOp is an op that writes its output into a Buffer of its own. PlanMemory places such
// buffers in a shared arena.
type BufferedOp interface {
	gorgonia.Op
	OutputBuffer() *Buffer
}

// MemoryPlan describes what PlanMemory did.
type MemoryPlan struct {
	Planned       int   // outputs placed in the arena
	ArenaBytes    int64 // size of the arena they share
	SeparateBytes int64 // total size of the same outputs with one buffer each
}

func (p MemoryPlan) String() string {
	return fmt.Sprintf("%d outputs in a %s arena (%s with a buffer each)", p.Planned, ByteSize(p.ArenaBytes), ByteSize(p.SeparateBytes))
}

// ByteSize formats n bytes in GB, MB or kB (powers of 1000).
func ByteSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.0f kB", float64(n)/1e3)
}

// PlanMemory lets the outputs of g's ops share memory where their lifetimes do not overlap.
// Without a plan every op keeps its own output buffer, so a training step holds every
// activation and every gradient at once. With one, an output's memory is reused as soon as the
// last op that reads it has run, the way a framework frees a tensor after its backward pass.
//
// Lifetimes follow the order in which a TapeMachine compiled from g runs the nodes. Every
// planned op checks at run time that it runs in that order, so a machine that orders the ops
// differently gets an error instead of wrong numbers. Build the whole graph, including its
// backward pass, before planning. A node added later could read memory that the plan already
// gave to another node, so a run that finds more nodes in g than at planning time returns an
// error.
//
// After a run, the values of keep and of the graph's roots (nodes that nothing reads, such as a
// loss and the gradients from gorgonia.Grad) are intact. Later ops may have overwritten the
// values of other nodes, so pass every node whose value the caller reads after a run in keep.
//
// Outputs of ops that are not BufferedOps, such as Gorgonia's own, are left to Gorgonia. Because
// such an op may return a view of an input or write over it, the inputs it reads are kept alive
// for as long as its output is.
func PlanMemory(g *gorgonia.ExprGraph, keep ...*gorgonia.Node) (MemoryPlan, error) {
	var res MemoryPlan
	order, err := gorgonia.Sort(g)
	if err != nil {
		return res, errors.Wrap(err, "memory plan: sorting the graph")
	}
	slices.Reverse(order) // the order gorgonia.Compile gives the tape

	pos := make(map[*gorgonia.Node]int, len(order))
	for i, n := range order {
		pos[n] = i
	}
	pinned := make(map[*gorgonia.Node]bool, len(keep))
	for _, n := range keep {
		if _, ok := pos[n]; !ok {
			return res, errors.Errorf("memory plan: node %v to keep is not in the graph being planned: pass only nodes of that graph", n)
		}
		pinned[n] = true
	}

	// Gorgonia runs only the first of several nodes with the same hash and lets the others
	// read its value (common subexpression elimination).
	first := make(map[uint32]*gorgonia.Node)
	dupOf := make(map[*gorgonia.Node]*gorgonia.Node)
	for _, n := range order {
		h := n.Hashcode()
		if r, ok := first[h]; ok {
			dupOf[n] = r
		} else {
			first[h] = n
		}
	}

	// end[n] is the position of the last op that reads n's memory, directly or through an
	// output that may alias it. Walking backwards visits every reader before what it reads.
	const forever = math.MaxInt
	end := make(map[*gorgonia.Node]int, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		e := max(end[n], i)
		readers := 0
		for it := g.To(n.ID()); it.Next(); {
			c := it.Node().(*gorgonia.Node)
			readers++
			e = max(e, pos[c])
			if aliasesInput(g, c, n) {
				e = max(e, end[c])
			}
		}
		if readers == 0 || pinned[n] {
			e = forever
		}
		end[n] = e
		if r, ok := dupOf[n]; ok {
			end[r] = max(end[r], e)
		}
	}

	type item struct {
		buf        *Buffer
		shape      tensor.Shape
		dt         tensor.Dtype
		pos, end   int // lifetime, both ends included
		bufferSize int // elements of the output
		size       int // elements reserved in the arena, a multiple of 16 (64 bytes of float32)
		off        int // offset in the arena, in elements
	}
	var items []*item
	for i, n := range order {
		op, ok := n.Op().(BufferedOp)
		if !ok || end[n] == forever || dupOf[n] != nil || op.OverwritesInput() >= 0 {
			continue
		}
		dt := n.Dtype()
		if dt != tensor.Float32 && dt != tensor.Float64 {
			continue
		}
		shape := n.Shape()
		size := shape.TotalSize()
		if size == 0 {
			continue
		}
		items = append(items, &item{buf: op.OutputBuffer(), shape: shape, pos: i, end: end[n],
			size: (size + 15) &^ 15, dt: dt, bufferSize: size})
	}

	// Place the largest outputs first, each at the lowest offset free for its whole lifetime.
	slices.SortStableFunc(items, func(a, b *item) int { return b.size - a.size })
	arenaSize := map[tensor.Dtype]int{}
	var placed []*item
	for _, it := range items {
		var busy []*item
		for _, p := range placed {
			if p.dt == it.dt && p.pos <= it.end && it.pos <= p.end {
				busy = append(busy, p)
			}
		}
		slices.SortFunc(busy, func(a, b *item) int { return a.off - b.off })
		off := 0
		for _, p := range busy {
			if off+it.size <= p.off {
				break
			}
			off = max(off, p.off+p.size)
		}
		it.off = off
		arenaSize[it.dt] = max(arenaSize[it.dt], off+it.size)
		placed = append(placed, it)
	}

	plan := &memoryPlan{first: math.MaxInt, last: -1, g: g, nodes: len(g.AllNodes())}
	arenas := map[tensor.Dtype]any{
		tensor.Float32: make([]float32, arenaSize[tensor.Float32]),
		tensor.Float64: make([]float64, arenaSize[tensor.Float64]),
	}
	for _, it := range items {
		var backing any
		lo, hi := it.off, it.off+it.bufferSize
		switch a := arenas[it.dt].(type) {
		case []float32:
			backing = a[lo:hi:hi]
		case []float64:
			backing = a[lo:hi:hi]
		}
		it.buf.t = tensor.New(tensor.WithShape(it.shape...), tensor.WithBacking(backing))
		it.buf.plan, it.buf.pos = plan, it.pos
		plan.first = min(plan.first, it.pos)
		res.SeparateBytes += int64(it.bufferSize * int(it.dt.Size()))
	}
	res.Planned = len(items)
	for dt, n := range arenaSize {
		res.ArenaBytes += int64(n * int(dt.Size()))
	}
	return res, nil
}

// aliasesInput reports whether the output of c may share memory with its input n: an op that
// writes over its input, or any op this package does not know, which might return a view.
func aliasesInput(g *gorgonia.ExprGraph, c, n *gorgonia.Node) bool {
	op, ok := c.Op().(BufferedOp)
	if !ok {
		return true
	}
	k := op.OverwritesInput()
	if k < 0 {
		return false
	}
	i := 0
	for it := g.From(c.ID()); it.Next(); i++ {
		if i == k {
			return it.Node().(*gorgonia.Node) == n
		}
	}
	return false
}

// memoryPlan checks that planned ops run in the order the plan assumed.
type memoryPlan struct {
	first int // position of the earliest planned op: seeing it starts a new run
	last  int // position of the latest planned op run so far
	g     *gorgonia.ExprGraph
	nodes int // number of nodes in g when it was planned
}

func (p *memoryPlan) enter(pos int) error {
	if pos == p.first {
		if n := len(p.g.AllNodes()); n != p.nodes {
			return errors.Errorf("memory plan: the graph has %d nodes, %d when it was planned; call PlanMemory again after adding nodes", n, p.nodes)
		}
	}
	if pos <= p.last && pos != p.first {
		return errors.Errorf("memory plan: an op planned as step %d ran after step %d. A graph with a memory plan must run on a TapeMachine (gorgonia.NewTapeMachine), whose order the plan follows", pos, p.last)
	}
	p.last = pos
	return nil
}
