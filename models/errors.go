package models

import "errors"

var (
	// ErrKind is returned when a bundle holds another kind of model.
	ErrKind = errors.New("models: wrong model kind")
	// ErrShape is returned when a tensor's shape does not match the config,
	// or a config value lies outside its documented range (docs/MODELS.md).
	ErrShape = errors.New("models: tensor shape does not match the config")
	// ErrInput is returned for inputs the model cannot take: wrong sizes,
	// ids outside the vocabularies, non-finite values.
	ErrInput = errors.New("models: invalid input")
)
