// Package catalog is the catalog of identity provider errors: what a code
// (AADSTS54005, AADB2C90006, MSIS9612) or message means, its class and what
// to do about it. Classify reads a model.ProviderError.
package catalog
