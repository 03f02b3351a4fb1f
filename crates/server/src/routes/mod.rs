//! Every route, one folder per resource with its pages and its API side by side; no
//! route module imports another. [`all`] is the one route table: the router is built
//! from it, and the route enumeration and jurisdiction tests iterate it, so no route
//! can exist outside the tests.

pub mod account;
pub mod api;
pub mod audit;
pub mod cases;
pub mod checkins;
pub mod contacts;
pub mod dashboard;
pub mod declarations;
pub mod health;
pub mod lab_tests;
pub mod landing;
pub mod persons;
pub mod signin;
pub mod statics;
pub mod venues;

use crate::state::AppState;
use axum::http::Method;
use axum::routing::MethodRouter;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anyone.
    Public,
    /// A signed-in session, or an API token under `/api/`.
    SignedIn,
}

/// One route of the app.
#[derive(Debug)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path template (`/persons/{id}`).
    pub path: &'static str,
    /// A path to call it by in tests, with sample parameters (`/persons/1`).
    pub sample: &'static str,
    /// Who may call it.
    pub guard: Guard,
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

impl Route {
    /// A `GET` route.
    pub fn get<H, T>(path: &'static str, sample: &'static str, guard: Guard, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        Self {
            method: Method::GET,
            path,
            sample,
            guard,
            handler: axum::routing::get(h),
        }
    }

    /// A `POST` route.
    pub fn post<H, T>(path: &'static str, sample: &'static str, guard: Guard, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        Self {
            method: Method::POST,
            path,
            sample,
            guard,
            handler: axum::routing::post(h),
        }
    }
}

/// Every route of the app.
pub fn all() -> Vec<Route> {
    [
        health::routes(),
        landing::routes(),
        statics::routes(),
        signin::routes(),
        account::routes(),
        dashboard::routes(),
        persons::routes(),
        cases::routes(),
        lab_tests::routes(),
        contacts::routes(),
        declarations::routes(),
        venues::routes(),
        checkins::routes(),
        audit::routes(),
        api::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
