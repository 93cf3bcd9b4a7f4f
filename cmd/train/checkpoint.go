package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/resnetgo/resnet"
	"github.com/resnetgo/resnet/cmd/internal/report"
)

// Metadata keys of the checkpoints this command writes, beside those of resnet.SaveCheckpoint.
const (
	metaSettings = "train_settings"
	metaMetrics  = "metrics"
	metaPartial  = "partial_epoch"
	metaBestAcc  = "best_val_accuracy"
	metaImage    = "image" // the input settings cmd/predict needs to preprocess images
)

// imageMeta describes how the model's inputs were prepared, for cmd/predict.
type imageMeta struct {
	Size     int  `json:"size"`
	Channels int  `json:"channels"`
	Flat     bool `json:"flat"`
}

// save writes a checkpoint into the output folder, with the optimizer state when withOpt is
// set (the latest checkpoint, for -resume) and without it otherwise (the best checkpoint).
func (r *run) save(name string, withOpt bool) error {
	metrics, err := json.Marshal(r.rows)
	if err != nil {
		return errors.Wrap(err, "encoding the metrics")
	}
	partial, err := json.Marshal(r.partial)
	if err != nil {
		return errors.Wrap(err, "encoding the epoch statistics")
	}
	image, err := json.Marshal(imageMeta{Size: r.s.Size, Channels: r.channels(), Flat: r.s.Flat})
	if err != nil {
		return errors.Wrap(err, "encoding the image settings")
	}
	best, err := json.Marshal(r.bestAcc)
	if err != nil {
		return errors.Wrap(err, "encoding the best accuracy")
	}
	info := resnet.CheckpointInfo{
		Config: r.tr.Net.Config, Classes: r.classes, Epoch: r.epoch,
		Extra: map[string]string{
			metaSettings: r.s.encode(), metaMetrics: string(metrics), metaPartial: string(partial),
			metaBestAcc: string(best), metaImage: string(image),
		},
	}
	opt := r.tr.Opt
	if !withOpt {
		opt = nil
	}
	return resnet.SaveCheckpoint(filepath.Join(r.s.Out, name), r.tr.Net, opt, info)
}

// readResume reads DIR/latest.safetensors and the settings stored in it.
func readResume(dir string) (*resnet.Checkpoint, settings, error) {
	var s settings
	path := filepath.Join(dir, latestFile)
	if _, err := os.Stat(path); err != nil {
		return nil, s, errors.Errorf("cannot resume from %s: it has no %s; give the -out folder of an earlier cmd/train run", dir, latestFile)
	}
	ck, err := resnet.ReadCheckpoint(path)
	if err != nil {
		return nil, s, errors.Wrapf(err, "cannot resume from %s", dir)
	}
	if err := json.Unmarshal([]byte(ck.Info.Extra[metaSettings]), &s); err != nil {
		return nil, s, errors.Wrapf(err, "%s: invalid %s metadata", ck.Path, metaSettings)
	}
	return ck, s, nil
}

// restore loads weights, optimizer state and run progress from a checkpoint of this run.
func (r *run) restore(ck *resnet.Checkpoint) error {
	if classKey(ck.Info.Classes) != classKey(r.classes) {
		return errors.Errorf("%s was trained on classes %v, the data now has %v", ck.Path, ck.Info.Classes, r.classes)
	}
	if err := ck.Restore(r.tr.Net, r.tr.Opt); err != nil {
		return err
	}
	r.epoch = ck.Info.Epoch
	var rows []report.EpochRow
	if err := json.Unmarshal([]byte(ck.Info.Extra[metaMetrics]), &rows); err != nil {
		return errors.Wrapf(err, "%s: invalid %s metadata", ck.Path, metaMetrics)
	}
	r.rows = rows
	if err := json.Unmarshal([]byte(ck.Info.Extra[metaPartial]), &r.partial); err != nil {
		return errors.Wrapf(err, "%s: invalid %s metadata", ck.Path, metaPartial)
	}
	if err := json.Unmarshal([]byte(ck.Info.Extra[metaBestAcc]), &r.bestAcc); err != nil {
		return errors.Wrapf(err, "%s: invalid %s metadata", ck.Path, metaBestAcc)
	}
	return nil
}

func classKey(classes []string) string {
	b, _ := json.Marshal(classes)
	return string(b)
}
