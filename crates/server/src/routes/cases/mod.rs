//! Cases: the case list of the jurisdiction (by commune, sample date and
//! classification), registering one through the API (the form is on the person page)
//! and the trace view of a case, its F1..F4 as a tree with counts per level and
//! commune, addressed by the case's id.

pub mod api;
pub mod pages;

use super::{Guard, Route};

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/cases",
            "/cases?unit=03386",
            Guard::SignedIn,
            pages::list_page,
        ),
        Route::get(
            "/cases/{id}/trace",
            "/cases/1/trace",
            Guard::SignedIn,
            pages::trace_page,
        ),
        Route::post(
            "/api/v1/persons/{id}/case",
            "/api/v1/persons/1/case",
            Guard::SignedIn,
            api::register_case,
        ),
    ]
}
