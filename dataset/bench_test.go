package dataset

import (
	"testing"
	"time"
)

// benchmarkLoader measures the training pipeline (decode, random resized crop, flip, normalize,
// batch) on the Dogs vs. Cats sample with one worker per CPU. With a cache, one epoch fills it
// before the timer starts, so the number is the rate of later epochs.
func benchmarkLoader(b *testing.B, size, cacheShortSide int) {
	src, err := FromFolder(sharedPath(b, "data", "catsdogs", "train"))
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLoader(src, Config{Size: size, BatchSize: 32, Train: true, CacheShortSide: cacheShortSide})
	if err != nil {
		b.Fatal(err)
	}
	if cacheShortSide > 0 {
		runEpoch(b, l, 0)
	}

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	images := 0
	for epoch := 1; images < b.N; epoch++ {
		it := l.Epoch(epoch)
		for images < b.N {
			batch, ok := it.Next()
			if !ok {
				break
			}
			images += batch.N
		}
		it.Close()
	}
	b.ReportMetric(float64(images)/time.Since(start).Seconds(), "images/s")
}

func BenchmarkLoader224(b *testing.B)       { benchmarkLoader(b, 224, 0) }
func BenchmarkLoader64(b *testing.B)        { benchmarkLoader(b, 64, 0) }
func BenchmarkLoader64Cached(b *testing.B)  { benchmarkLoader(b, 64, 73) }
func BenchmarkLoader224Cached(b *testing.B) { benchmarkLoader(b, 224, 256) }
