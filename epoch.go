package resnet

import (
	"context"
	"time"

	"github.com/pkg/errors"

	"github.com/resnetgo/resnet/dataset"
)

// EpochResult summarizes the training steps of one epoch.
type EpochResult struct {
	Steps    int     // steps taken in this call
	Images   int     // images trained on in this call
	Loss     float64 // mean loss (cross-entropy + penalty) over the steps
	CE       float64 // mean cross-entropy over the steps, comparable with a validation loss
	Accuracy float64 // mean training accuracy over the steps
	Seconds  float64 // wall time of the call
}

// ImagesPerSecond returns the training throughput of the epoch.
func (r EpochResult) ImagesPerSecond() float64 {
	if r.Seconds == 0 {
		return 0
	}
	return float64(r.Images) / r.Seconds
}

// TrainEpoch runs a training step on every batch of it, the iterator of epoch number epoch.
// The first skip batches are read and dropped: a resumed run uses skip to continue in the middle
// of an epoch, with the same batches as an uninterrupted run. Before each step
// the dropout masks are reseeded from the model seed, the epoch and the step, so a resumed run
// also draws the same masks. onStep, when set, is called after each step with the
// number of steps taken in the epoch so far. When ctx is cancelled, TrainEpoch returns after
// the step in progress with ctx's error; the steps taken stay applied. The loader must drop
// the last partial batch (dataset.Config.DropLast): see Trainer.
func (t *Trainer) TrainEpoch(ctx context.Context, epoch int, it *dataset.Iterator, skip int, onStep func(done int, res StepResult)) (EpochResult, error) {
	var out EpochResult
	start := time.Now()
	done := 0
	for {
		if err := ctx.Err(); err != nil {
			out.Seconds = time.Since(start).Seconds()
			return out, err
		}
		batch, ok := it.Next()
		if !ok {
			break
		}
		if done < skip {
			done++
			continue
		}
		if batch.N != t.cfg.BatchSize {
			return out, errors.Errorf("training batch of %d images, the graph takes %d: set DropLast in the loader's config", batch.N, t.cfg.BatchSize)
		}
		t.Net.ReseedDropout(stepSeed(t.cfg.Model.Seed, epoch, done))
		res, err := t.Step(batch.X, batch.Labels)
		if err != nil {
			return out, err
		}
		done++
		out.Steps++
		out.Images += batch.N
		out.Loss += res.Loss
		out.CE += res.CE
		out.Accuracy += res.Accuracy
		if onStep != nil {
			onStep(done, res)
		}
	}
	if out.Steps > 0 {
		out.Loss /= float64(out.Steps)
		out.CE /= float64(out.Steps)
		out.Accuracy /= float64(out.Steps)
	}
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// EvaluateEpoch runs inference over every batch of it (batches of any size up to BatchSize).
// It returns the mean cross-entropy, the accuracy and each image's prediction, and in labels
// the true classes in the same order.
func (t *Trainer) EvaluateEpoch(it *dataset.Iterator) (res EvalResult, labels []int, err error) {
	res, err = t.Evaluate(func() ([]float32, []int, bool) {
		batch, ok := it.Next()
		if !ok {
			return nil, nil, false
		}
		labels = append(labels, batch.Labels...)
		return batch.X, batch.Labels, true
	})
	return res, labels, err
}

// stepSeed mixes the model seed, the epoch and the step into one dropout seed (SplitMix64's
// finalizer, so nearby steps get unrelated seeds).
func stepSeed(seed uint64, epoch, step int) uint64 {
	x := seed ^ uint64(epoch)<<32 ^ uint64(step)
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
