//! The OpenAPI document of `/api/v1` (`/api/openapi.json`), gathered from the API
//! handlers of every resource. Authentication: `Authorization: Bearer TOKEN` (an API
//! token from `phongdich user token`), or a session cookie with `X-CSRF-Token` on
//! writes.

use super::{Guard, Route};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route::get(
        "/api/openapi.json",
        "/api/openapi.json",
        Guard::SignedIn,
        openapi,
    )]
}

/// Declares the bearer scheme.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI description of `/api/v1`.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "phongdich API",
        description = "Persons, cases, contacts, tests and trace levels of the province. Authenticate with `Authorization: Bearer TOKEN` (`phongdich user token`). Errors are `{code, message}`; writes accept an `Idempotency-Key` header."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    paths(
        super::persons::api::search,
        super::persons::api::person,
        super::persons::api::level,
        super::cases::api::register_case,
        super::lab_tests::enter_test,
        super::contacts::api::list,
        super::contacts::api::add,
        super::declarations::api::declare,
        super::declarations::api::follow_up,
        super::declarations::api::lookup,
        super::declarations::api::mark_done,
        super::venues::api::list,
        super::venues::api::create,
        super::venues::api::get,
        super::venues::api::rotate,
        super::venues::api::check_in,
        super::venues::api::check_out,
        super::checkins::api::check_in,
        super::checkins::api::check_out
    ),
    components(schemas(
        super::persons::api::PersonJson,
        super::persons::api::PersonRowJson,
        super::persons::api::PersonsPage,
        super::persons::api::LevelJson,
        super::persons::api::ExposureJson,
        super::persons::api::SomeoneJson,
        crate::web::error::ErrorBody,
        phongdich_app::cases::CaseInput,
        phongdich_app::cases::Registered,
        phongdich_app::lab_tests::TestInput,
        phongdich_app::lab_tests::TestEntered,
        phongdich_app::contacts::ContactInput,
        phongdich_app::contacts::Added,
        super::contacts::api::ContactJson,
        super::contacts::api::ContactsPage,
        phongdich_app::declarations::DeclarationInput,
        phongdich_app::declarations::PersonDeclared,
        phongdich_app::declarations::Declared,
        phongdich_app::declarations::DeclaredCode,
        super::declarations::api::DeclarationJson,
        super::declarations::api::FollowUpPageJson,
        super::declarations::api::FollowUpInput,
        phongdich_app::venues::VenueInput,
        phongdich_app::venues::VenueJson,
        super::venues::api::VenuesPage,
        phongdich_app::checkins::CheckInInput,
        phongdich_app::checkins::StaffCheckInInput,
        phongdich_app::checkins::CheckedIn,
        super::checkins::api::CheckOutInput
    ))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
