package dataset

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/pkg/errors"
)

// Batch is a batch of images in NCHW layout.
type Batch struct {
	// X contains N*C*H*W normalized samples: X[((n*C+c)*H+y)*W+x].
	X      []float32
	Labels []int
	Paths  []string
	// N is the number of images, BatchSize except perhaps in the last batch of an epoch.
	N, C, H, W int

	storage []float32 // BatchSize*C*H*W, of which X is a prefix
}

// Loader turns a Source into batches. It is safe to read Skipped and BatchesPerEpoch while an
// epoch runs; run one epoch at a time.
type Loader struct {
	src *Source
	cfg Config

	cache   []atomic.Pointer[packedImage] // per sample, nil without a cache
	failed  []atomic.Pointer[string]      // per sample: why the file failed to decode, nil if it has not
	badSeen atomic.Int64

	mu       sync.Mutex
	skipped  []Skipped
	reported map[int]bool
}

// NewLoader checks cfg, fills in its defaults and returns a loader over s. It reads no files:
// bad files are found and skipped while epochs run, or beforehand by Scan and Source.Without.
func NewLoader(s *Source, cfg Config) (*Loader, error) {
	if s == nil || len(s.Samples) == 0 {
		return nil, errors.New("source has no samples: list a folder with FromFolder or FromFlatFolder first")
	}
	for _, smp := range s.Samples {
		if smp.Label < 0 || smp.Label >= len(s.Classes) {
			return nil, errors.Errorf("sample %q has label %d but the source has %d classes", smp.Path, smp.Label, len(s.Classes))
		}
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, errors.Wrap(err, "loader config")
	}

	l := &Loader{
		src:      s,
		cfg:      cfg,
		failed:   make([]atomic.Pointer[string], len(s.Samples)),
		reported: map[int]bool{},
	}
	if cfg.CacheShortSide > 0 {
		l.cache = make([]atomic.Pointer[packedImage], len(s.Samples))
	}
	return l, nil
}

// Config returns the configuration with defaults filled in.
func (l *Loader) Config() Config {
	return l.cfg
}

// Skipped returns the files skipped so far, each once, in the order they were met.
func (l *Loader) Skipped() []Skipped {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Skipped(nil), l.skipped...)
}

// BatchesPerEpoch returns the number of batches in an epoch. Bad files count until the loader
// has met them, so before the first epoch the number may be too high unless the source was
// cleaned with Scan and Source.Without.
func (l *Loader) BatchesPerEpoch() int {
	n := len(l.src.Samples) - int(l.badSeen.Load())
	if l.cfg.DropLast {
		return n / l.cfg.BatchSize
	}
	return (n + l.cfg.BatchSize - 1) / l.cfg.BatchSize
}

// recordSkip stores a failure once per file and calls OnSkip for it.
func (l *Loader) recordSkip(idx int, err error) {
	l.mu.Lock()
	if l.reported[idx] {
		l.mu.Unlock()
		return
	}
	l.reported[idx] = true
	sk := Skipped{Path: l.src.Samples[idx].Path, Reason: err.Error()}
	l.skipped = append(l.skipped, sk)
	l.mu.Unlock()

	if l.cfg.OnSkip != nil {
		l.cfg.OnSkip(sk)
	}
}

// order returns the sample indices of an epoch: shuffled by (Seed, epoch) when training,
// in source order otherwise.
func (l *Loader) order(epoch int) []int {
	n := len(l.src.Samples)
	if !l.cfg.Train {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	rng := rand.New(rand.NewPCG(uint64(l.cfg.Seed), mix64(uint64(epoch)^shuffleStream)))
	return rng.Perm(n)
}

// Stream constants keep the shuffle and per-sample random streams apart.
const (
	shuffleStream = 0x5A17_ED0F_5EED_0001
	sampleStream  = 0x9E37_79B9_7F4A_7C15
)

// mix64 is the SplitMix64 finalizer: it spreads nearby inputs such as consecutive epochs
// over unrelated 64-bit values.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58_476D_1CE4_E5B9
	x ^= x >> 27
	x *= 0x94D0_49BB_1331_11EB
	x ^= x >> 31
	return x
}

// worker contains the buffers of one decoding goroutine, reused from image to image.
type worker struct {
	l      *Loader
	rs     resampler
	planes []float32
	packed []float32
	pcg    rand.PCG
	rng    *rand.Rand
	file   []byte
}

func newWorker(l *Loader) *worker {
	w := &worker{l: l}
	w.rng = rand.New(&w.pcg)
	return w
}

// process decodes sample idx and writes its transformed, normalized C x Size x Size image to dst.
// The random stream depends only on (Seed, epoch, idx), so the result does not depend on
// which worker runs it or when.
func (w *worker) process(idx, epoch int, dst []float32) error {
	l := w.l
	if reason := l.failed[idx].Load(); reason != nil {
		return errors.New(*reason) // a file that failed once is not read again
	}
	src, err := w.load(idx)
	if err != nil {
		reason := err.Error()
		if l.failed[idx].CompareAndSwap(nil, &reason) {
			l.badSeen.Add(1)
		}
		return err
	}

	w.pcg.Seed(uint64(l.cfg.Seed)^sampleStream, mix64(uint64(epoch)<<32^uint64(uint32(idx))))
	w.transform(src, &l.cfg, dst)
	return nil
}

// transform runs the training or evaluation pipeline on one image and writes the normalized
// C x Size x Size result to dst. Only the training pipeline draws from w.rng.
func (w *worker) transform(src *pixelSource, cfg *Config, dst []float32) {
	size := cfg.Size
	var r region
	flip := false
	if cfg.Train {
		r = randomResizedCrop(w.rng, src.W, src.H, cfg.ScaleMin, cfg.ScaleMax, cfg.RatioMin, cfg.RatioMax)
		flip = !cfg.NoFlip && w.rng.IntN(2) == 1
	} else {
		r = centerCrop(src.W, src.H, cfg.CropFraction)
	}

	w.planes = grow(w.planes, src.channels*size*size)
	w.rs.resample(src, r, size, size, flip, w.planes)
	convertPlanes(w.planes, src.channels, dst, cfg.Channels, size*size, cfg.Mean, cfg.Std)
}

// Preprocess runs the evaluation pipeline of cfg on one file, as a loader with Train false
// would, and returns the normalized Channels x Size x Size image. It is meant for prediction on
// single files. cfg.Train and the cache settings are ignored.
func Preprocess(path string, cfg Config) (*Image, error) {
	cfg.Train, cfg.CacheShortSide = false, 0
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, errors.Wrap(err, "preprocess config")
	}
	src, err := decodeFile(path, nil)
	if err != nil {
		return nil, errors.Wrapf(err, "decode %s", path)
	}
	out := &Image{C: cfg.Channels, H: cfg.Size, W: cfg.Size, Pix: make([]float32, cfg.Channels*cfg.Size*cfg.Size)}
	newWorker(nil).transform(src, &cfg, out.Pix)
	return out, nil
}

// load returns the pixels of sample idx, from the cache when one is configured. With a cache,
// even the first epoch crops from the cached copy, so every epoch crops from the same pixels.
func (w *worker) load(idx int) (*pixelSource, error) {
	l := w.l
	if l.cache != nil {
		if m := l.cache[idx].Load(); m != nil {
			return newPackedSource(m), nil
		}
	}
	src, err := decodeFile(l.src.Samples[idx].Path, &w.file)
	if err != nil || l.cache == nil {
		return src, err
	}
	m := w.pack(src)
	l.cache[idx].Store(m)
	return newPackedSource(m), nil
}

// pack downscales src so its shorter side is at most CacheShortSide and quantizes it to 8 bits.
// Grayscale loaders store one luma channel; RGB loaders store what the source has.
func (w *worker) pack(src *pixelSource) *packedImage {
	limit := w.l.cfg.CacheShortSide
	outW, outH := src.W, src.H
	if short := min(src.W, src.H); short > limit {
		outW = max(1, int(float64(src.W)*float64(limit)/float64(short)+0.5))
		outH = max(1, int(float64(src.H)*float64(limit)/float64(short)+0.5))
	}
	n := outW * outH
	w.packed = grow(w.packed, src.channels*n)
	w.rs.resample(src, region{W: float64(src.W), H: float64(src.H)}, outW, outH, false, w.packed)

	channels := src.channels
	planes := w.packed
	if w.l.cfg.Channels == 1 && channels == 3 {
		luma := make([]float32, n)
		convertPlanes(planes, 3, luma, 1, n, []float32{0}, []float32{1})
		planes, channels = luma, 1
	}

	m := &packedImage{W: outW, H: outH, C: channels, Pix: make([]uint8, channels*n)}
	for c := 0; c < channels; c++ {
		for i, v := range planes[c*n : (c+1)*n] {
			m.Pix[i*channels+c] = uint8(min(max(v*255+0.5, 0), 255))
		}
	}
	return m
}
