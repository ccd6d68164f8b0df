package appbundle

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyBits is the size of the keys `key create` makes (C/src/api/crypto.ts
// :119 createRSA): the plugin expects RSA-2048 (A/CryptoCipher.java:255).
const KeyBits = 2048

// PEM block types of the PKCS#1 keys the CLI writes and the plugin reads
// (A/CryptoCipher.java:82, I/RSA.swift).
const (
	privateBlock = "RSA PRIVATE KEY"
	publicBlock  = "RSA PUBLIC KEY"
)

// GenerateKey makes an app's key pair as `npx @capgo/cli key create` does.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("appbundle: generate key: %w", err)
	}
	return k, nil
}

// PrivatePEM is the private key as the CLI stores it (.capgo_key_v2).
func PrivatePEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: privateBlock, Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// PublicPEM is the public key as the CLI stores it (.capgo_key_v2.pub)
// and as the app's capacitor.config carries it (CapacitorUpdater.publicKey).
func PublicPEM(k *rsa.PublicKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: publicBlock, Bytes: x509.MarshalPKCS1PublicKey(k)})
}

// ParsePrivatePEM reads a private key in the CLI's format; as the CLI, it
// refuses anything but a PKCS#1 RSA private key (C/src/bundle/encrypt.ts:84).
func ParsePrivatePEM(data []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != privateBlock {
		return nil, errors.New("appbundle: not a PEM \"RSA PRIVATE KEY\" (create one with otasim bundle keygen)")
	}
	k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("appbundle: private key: %w", err)
	}
	return k, nil
}

// ParsePublicPEM reads a public key as the plugin does: a PKCS#1 "RSA
// PUBLIC KEY" (A/CryptoCipher.java:81 stringToPublicKey).
func ParsePublicPEM(data []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != publicBlock {
		return nil, errors.New("appbundle: not a PEM \"RSA PUBLIC KEY\"")
	}
	k, err := x509.ParsePKCS1PublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("appbundle: public key: %w", err)
	}
	return k, nil
}

// KeyID is the key_id of a public key: the first 20 characters of its PEM
// body without headers and whitespace (A/CryptoCipher.java:448 calcKeyId,
// I/CryptoCipher.swift:310, C/src/api/crypto.ts:145). Devices send it in
// their info object; the CLI stores it with an encrypted bundle.
func KeyID(publicPEM []byte) string {
	s := strings.NewReplacer("-----BEGIN RSA PUBLIC KEY-----", "", "-----END RSA PUBLIC KEY-----", "",
		"\n", "", "\r", "", " ", "", "\t", "").Replace(string(publicPEM))
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}
