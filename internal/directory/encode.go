package directory

import (
	"encoding/json"
	"fmt"
)

// The saved form of a directory: its records and region. The index is
// rebuilt on load (parsing 100,000 numbers takes well under a second),
// so the saved form does not depend on how numbers are keyed, and a
// better parser re-keys old data.
type saved struct {
	Version int      `json:"version"`
	Region  string   `json:"region"`
	Records []Record `json:"records"`
}

const savedVersion = 1

// MarshalJSON saves the directory's records and region.
func (d *Directory) MarshalJSON() ([]byte, error) {
	return json.Marshal(saved{Version: savedVersion, Region: d.region, Records: d.Records()})
}

// Unmarshal reads a directory saved by MarshalJSON. region, when not
// empty, overrides the saved one (the relay's region changed since).
func Unmarshal(data []byte, region string) (*Directory, error) {
	var s saved
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("directory: the saved directory is not readable (%v): delete it, the next full sync rebuilds it", err)
	}
	if s.Version != savedVersion {
		return nil, fmt.Errorf("directory: the saved directory has version %d, this relay reads %d: delete it, the next full sync rebuilds it", s.Version, savedVersion)
	}
	if region == "" {
		region = s.Region
	}
	d, err := New(region)
	if err != nil {
		return nil, err
	}
	d.Apply(Sync{Full: true, Upserts: s.Records})
	return d, nil
}
