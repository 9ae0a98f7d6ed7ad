package intel

import (
	"regexp"
	"testing"

	"github.com/google/uuid"
)

func TestReference(t *testing.T) {
	id := uuid.MustParse("019ae4c2-7b3a-7c11-8f4e-3a2b1c0d9e8f")
	if got, again := Reference(id), Reference(id); got != again || !regexp.MustCompile(`^HX-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$`).MatchString(got) {
		t.Fatalf("Reference: %q then %q", got, again)
	}
	// The random tail decides it: ids of the same millisecond differ.
	seen := map[string]bool{}
	for range 10000 {
		ref := Reference(uuid.Must(uuid.NewV7()))
		if seen[ref] {
			t.Fatalf("two of 10,000 new ids share the reference %s", ref)
		}
		seen[ref] = true
	}
}
