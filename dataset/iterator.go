package dataset

import "sync"

// Iterator yields the batches of one epoch. Workers decode and transform images in parallel,
// and a collecting goroutine puts the results back into epoch order, so batch contents do not
// depend on the number of workers or their timing. Call Next and Close from one goroutine.
type Iterator struct {
	out  chan *Batch // finished batches, in order
	free chan *Batch // batch buffers ready for reuse
	done chan struct{}
	wg   sync.WaitGroup

	closeOnce sync.Once
	closed    bool
	lastBatch *Batch // the batch last returned by Next, reused on the next call
}

type job struct {
	pos, idx int       // position in the epoch order and sample index
	buf      []float32 // C*Size*Size output samples
}

type result struct {
	job
	err error
}

// Epoch starts the workers for one epoch and returns its iterator. The sample order and the
// augmentation depend only on Seed and epoch. Call Close when stopping before the end.
func (l *Loader) Epoch(epoch int) *Iterator {
	cfg := &l.cfg
	order := l.order(epoch)
	sampleLen := cfg.Channels * cfg.Size * cfg.Size

	it := &Iterator{
		out:  make(chan *Batch, cfg.Prefetch),
		free: make(chan *Batch, cfg.Prefetch+2),
		done: make(chan struct{}),
	}
	// Prefetch batches wait in out, one is being filled, and one is held by the caller.
	for i := 0; i < cfg.Prefetch+2; i++ {
		storage := make([]float32, cfg.BatchSize*sampleLen)
		it.free <- &Batch{
			storage: storage,
			Labels:  make([]int, 0, cfg.BatchSize),
			Paths:   make([]string, 0, cfg.BatchSize),
			C:       cfg.Channels, H: cfg.Size, W: cfg.Size,
		}
	}

	// Sample buffers bound how far workers run ahead of the collector.
	nbuf := 2*cfg.Workers + 2
	bufs := make(chan []float32, nbuf)
	for i := 0; i < nbuf; i++ {
		bufs <- make([]float32, sampleLen)
	}
	jobs := make(chan job, cfg.Workers)
	results := make(chan result, nbuf)

	it.wg.Add(1)
	go func() {
		defer it.wg.Done()
		defer close(jobs)
		for pos, idx := range order {
			var buf []float32
			select {
			case buf = <-bufs:
			case <-it.done:
				return
			}
			select {
			case jobs <- job{pos: pos, idx: idx, buf: buf}:
			case <-it.done:
				return
			}
		}
	}()

	var workers sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			w := newWorker(l)
			for j := range jobs {
				select {
				case <-it.done:
					return
				default:
				}
				err := w.process(j.idx, epoch, j.buf)
				select {
				case results <- result{job: j, err: err}:
				case <-it.done:
					return
				}
			}
		}()
	}
	it.wg.Add(1)
	go func() {
		defer it.wg.Done()
		workers.Wait()
		close(results)
	}()

	it.wg.Add(1)
	go func() {
		defer it.wg.Done()
		defer close(it.out)
		l.collect(it, order, results, bufs)
	}()
	return it
}

// collect takes results in epoch order, skips failed samples and fills batches.
func (l *Loader) collect(it *Iterator, order []int, results <-chan result, bufs chan<- []float32) {
	cfg := &l.cfg
	sampleLen := cfg.Channels * cfg.Size * cfg.Size
	pending := map[int]result{}
	var b *Batch

	send := func() bool {
		b.X = b.storage[:b.N*sampleLen]
		select {
		case it.out <- b:
			b = nil
			return true
		case <-it.done:
			return false
		}
	}

	for next := 0; next < len(order); next++ {
		r, ok := pending[next]
		for !ok {
			select {
			case got, open := <-results:
				if !open {
					return
				}
				pending[got.pos] = got
				r, ok = pending[next]
			case <-it.done:
				return
			}
		}
		delete(pending, next)

		if r.err != nil {
			l.recordSkip(r.idx, r.err)
			bufs <- r.buf
			continue
		}
		if b == nil {
			select {
			case b = <-it.free:
				b.N, b.Labels, b.Paths = 0, b.Labels[:0], b.Paths[:0]
			case <-it.done:
				return
			}
		}
		copy(b.storage[b.N*sampleLen:], r.buf)
		smp := l.src.Samples[r.idx]
		b.Labels = append(b.Labels, smp.Label)
		b.Paths = append(b.Paths, smp.Path)
		b.N++
		bufs <- r.buf // never blocks: bufs has room for all nbuf buffers
		if b.N == cfg.BatchSize && !send() {
			return
		}
	}
	if b != nil && b.N > 0 && !cfg.DropLast {
		send()
	}
}

// Next returns the next batch, or false at the end of the epoch. The batch and its slices
// stay valid until the next call to Next or Close, which reuse its memory; copy what you keep.
func (it *Iterator) Next() (*Batch, bool) {
	if it.closed {
		return nil, false
	}
	if it.lastBatch != nil {
		it.free <- it.lastBatch
		it.lastBatch = nil
	}
	b, ok := <-it.out
	if !ok {
		return nil, false
	}
	it.lastBatch = b
	return b, true
}

// Close stops the workers and waits for them. It is safe to call more than once and after the
// epoch has ended.
func (it *Iterator) Close() {
	it.closeOnce.Do(func() {
		it.closed = true
		close(it.done)
		it.wg.Wait()
	})
}
