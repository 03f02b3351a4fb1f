//! Shared web pieces that every route uses without writing them again: the signed-in
//! user and the guard ([`session`]), the CSRF-checked form extractor ([`csrf`]), the
//! mapping of application errors to answers ([`error`]), security headers and request
//! spans ([`layers`]), the client's address ([`client`]), cookies, the language
//! ([`i18n`]) and the page layout ([`layout`]).

pub mod client;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod i18n;
pub mod layers;
pub mod layout;
pub mod session;
