package intel

import (
	"encoding/binary"
	"strings"

	"github.com/google/uuid"
)

// crockford is Crockford's base 32 alphabet: no I, L, O or U, so that a
// reference read over the phone is not misheard or mistyped.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Reference is the short human reference of report id, such as
// "HX-4K7QM-2PDXA": the last 50 random bits of a version 7 UUID, in
// Crockford's base 32. Two of a million reports share one with a chance
// of about one in 2,000; the UUID stays the key.
func Reference(id uuid.UUID) string {
	v := binary.BigEndian.Uint64(id[8:]) & (1<<50 - 1)
	var b strings.Builder
	b.WriteString("HX-")
	for i := 9; i >= 0; i-- {
		b.WriteByte(crockford[(v>>(5*uint(i)))&31])
		if i == 5 {
			b.WriteByte('-')
		}
	}
	return b.String()
}
