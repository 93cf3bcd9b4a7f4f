package resnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/graph"
	"github.com/resnetgo/resnet/graph/safetensors"
)

func TestCheckpointRoundTrip(t *testing.T) {
	tr := smallTrainer(t, 2, &SGD{Schedule: ConstantLR(0.1), Momentum: 0.9})
	images, labels := syntheticBatch(2, 3, 32)
	for i := 0; i < 2; i++ {
		if _, err := tr.Step(images, labels); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "latest.safetensors")
	info := CheckpointInfo{Config: tr.Net.Config, Classes: []string{"a", "b", "c"}, Epoch: 7, Extra: map[string]string{"note": "x"}}
	if err := SaveCheckpoint(path, tr.Net, tr.Opt, info); err != nil {
		t.Fatal(err)
	}

	c, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Info.Epoch != 7 || strings.Join(c.Info.Classes, ",") != "a,b,c" || c.Info.Extra["note"] != "x" || c.OptimizerStep != 2 {
		t.Errorf("got info %+v step %d, want epoch 7, classes a,b,c, note x, step 2", c.Info, c.OptimizerStep)
	}
	if c.Info.Config != tr.Net.Config {
		t.Errorf("config: got %+v, want %+v", c.Info.Config, tr.Net.Config)
	}

	fresh := smallTrainer(t, 2, &SGD{Schedule: ConstantLR(0.1), Momentum: 0.9})
	if err := c.Restore(fresh.Net, fresh.Opt); err != nil {
		t.Fatal(err)
	}
	want := tr.Net.State()
	for i, e := range fresh.Net.State() {
		assertClose(t, e.Name, graph.ToFloat64s(e.Value), graph.ToFloat64s(want[i].Value), 0)
	}
	// A resumed step must equal the uninterrupted one.
	a, err := tr.Step(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fresh.Step(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("step after restore: got %+v, want %+v", b, a)
	}
	for i, e := range fresh.Net.State() {
		assertClose(t, e.Name+" after one more step", graph.ToFloat64s(e.Value), graph.ToFloat64s(tr.Net.State()[i].Value), 0)
	}
}

func TestCheckpointErrors(t *testing.T) {
	tr := smallTrainer(t, 2, &SGD{Schedule: ConstantLR(0.1)})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := SaveCheckpoint(good, tr.Net, nil, CheckpointInfo{Classes: []string{"a", "b", "c"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.safetensors")
	if err := os.WriteFile(truncated, data[:len(data)-100], 0o644); err != nil {
		t.Fatal(err)
	}

	// A file without one tensor.
	f, err := safetensors.Read(good)
	if err != nil {
		t.Fatal(err)
	}
	var kept []*safetensors.Tensor
	for _, name := range f.Names {
		if name != "layer2.0.bn1.running_var" {
			kept = append(kept, f.Tensors[name])
		}
	}
	missing := filepath.Join(dir, "missing.safetensors")
	if err := safetensors.WriteFile(missing, kept, f.Metadata); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, path, want string
	}{
		{"truncated", truncated, "truncated"},
		{"missing tensor", missing, "layer2.0.bn1.running_var is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ck, err := ReadCheckpoint(c.path)
			if err == nil {
				err = ck.Restore(tr.Net, nil)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}

	t.Run("other depth", func(t *testing.T) {
		other := buildForTest(t, Config{Depth: 34, Classes: 3, BaseWidth: 4}, 1, 32)
		ck, err := ReadCheckpoint(good)
		if err != nil {
			t.Fatal(err)
		}
		err = ck.Restore(other, nil)
		if err == nil || !strings.Contains(err.Error(), "layer1.2.conv1.weight is missing") {
			t.Errorf("got %v, want an error naming layer1.2.conv1.weight", err)
		}
	})
}

func TestLoadWeightsNewHead(t *testing.T) {
	src := buildForTest(t, Config{Depth: 18, Classes: 10, BaseWidth: 4}, 1, 32)
	fillGolden(src)
	path := filepath.Join(t.TempDir(), "pretrained.safetensors")
	if err := SaveCheckpoint(path, src, nil, CheckpointInfo{}); err != nil {
		t.Fatal(err)
	}
	dst := buildForTest(t, Config{Depth: 18, Classes: 2, BaseWidth: 4}, 1, 32)
	if err := LoadWeights(dst, path, false); err == nil || !strings.Contains(err.Error(), "fc.weight has shape") {
		t.Errorf("without newHead: got %v, want an error about fc.weight's shape", err)
	}
	if err := LoadWeights(dst, path, true); err != nil {
		t.Fatal(err)
	}
	srcState := src.State()
	for i, e := range dst.State() {
		if strings.HasPrefix(e.Name, "fc.") {
			continue
		}
		assertClose(t, e.Name, graph.ToFloat64s(e.Value), graph.ToFloat64s(srcState[i].Value), 0)
	}
}
