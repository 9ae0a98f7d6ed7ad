package concern

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/google/uuid"
)

// Sealer seals contact details with AES-256-GCM, the report's id
// authenticated with them, so that a sealed value copied to another
// report does not open.
type Sealer struct{ aead cipher.AEAD }

// NewSealer seals under a key derived from secret (32 bytes).
func NewSealer(secret []byte) (*Sealer, error) {
	block, err := aes.NewCipher(derive(secret, "concern contact"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead}, nil
}

// Seal is plain sealed for report id: a random nonce, then the ciphertext.
func (s *Sealer) Seal(id uuid.UUID, plain string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(plain), id[:])
}

// Open is what Seal sealed for report id.
func (s *Sealer) Open(id uuid.UUID, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return "", errors.New("concern: sealed contact too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], id[:])
	if err != nil {
		return "", errors.New("concern: the contact details do not open with this key")
	}
	return string(plain), nil
}
