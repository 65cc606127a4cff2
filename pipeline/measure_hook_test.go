package pipeline

import (
	"strconv"
	"testing"
	"time"
)

// UseOwnMeasureVolume makes Measure keep its layer listings in a new engine volume
// for the rest of the test: a reading with nothing kept, which unpacks every layer.
func UseOwnMeasureVolume(t testing.TB) {
	old := ownMeasureVolume
	ownMeasureVolume = "multistage-measure-test-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	t.Cleanup(func() { ownMeasureVolume = old })
}
