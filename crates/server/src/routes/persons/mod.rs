//! Persons: the search page and the person page (details, level, the chain that
//! explains it, the timeline, and the forms that enter a test and register a case),
//! with their JSON API side by side in [`api`].
//!
//! The forms post here (`/persons/{id}/tests`, `/persons/{id}/case`) so that a refused
//! form is shown again, with the reason next to its field and the values kept.

pub mod api;
pub mod pages;

use super::{Guard, Route};

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/persons",
            "/persons?q=nguyen",
            Guard::SignedIn,
            pages::search,
        ),
        Route::get(
            "/persons/{id}",
            "/persons/1",
            Guard::SignedIn,
            pages::person_page,
        ),
        Route::post(
            "/persons/{id}/tests",
            "/persons/1/tests",
            Guard::SignedIn,
            pages::add_test,
        ),
        Route::post(
            "/persons/{id}/case",
            "/persons/1/case",
            Guard::SignedIn,
            pages::register_case,
        ),
        Route::get(
            "/api/v1/persons",
            "/api/v1/persons?q=nguyen",
            Guard::SignedIn,
            api::search,
        ),
        Route::get(
            "/api/v1/persons/{id}",
            "/api/v1/persons/1",
            Guard::SignedIn,
            api::person,
        ),
        Route::get(
            "/api/v1/persons/{id}/level",
            "/api/v1/persons/1/level",
            Guard::SignedIn,
            api::level,
        ),
    ]
}
