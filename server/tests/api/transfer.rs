//! Import and export of the rule book over HTTP: maps as JSON, field
//! mappings as CSV; a bad document changes nothing and says what is wrong.

use crate::helpers::*;
use crate::maps::app_with_uat;
use reqwest::StatusCode;

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    app::db::query_scalar(sql)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn exported_maps_import_into_another_environment_and_again_change_nothing() {
    let app = app_with_uat().await;
    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    let csv = "fo_field,dataverse_column,direction,value_type,transform,value_map\n\
               CreditLimit,creditlimit,fo_to_dataverse,number,none,\n\
               Blocked,msdyn_blocked,both,enum,value_map,No=0; All=1\n";
    let res = app
        .post_form(
            "/sfn/import_field_mappings",
            &[("map_id", "1"), ("csv", csv), ("comment", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let exported = app.get("/export/maps/1/fields.csv").await;
    assert_eq!(exported.status(), StatusCode::OK);
    assert!(
        exported.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = exported.text().await.unwrap();
    assert!(
        body.contains("Blocked,msdyn_blocked,both,enum,value_map,,No=0; All=1"),
        "{body}"
    );

    let res = app.get("/export/maps.json?env=UAT").await;
    assert_eq!(res.status(), StatusCode::OK);
    let document = res.text().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&document).unwrap();
    assert_eq!(doc["format"], "dwconsole.maps");
    assert_eq!(doc["maps"].as_array().unwrap().len(), 9);

    app.post_form(
        "/sfn/save_environment",
        &[
            ("name", "Prod"),
            ("fo_url", ""),
            ("dataverse_url", ""),
            ("legal_entities", ""),
        ],
    )
    .await;
    let import = [
        ("env", "Prod"),
        ("document", document.as_str()),
        ("comment", ""),
    ];
    let res = app.post_form("/sfn/import_maps", &import).await;
    assert_eq!(res.status(), StatusCode::OK);
    let live = "select count(*) from table_maps m join environments e on e.id = m.environment_id
                where e.name = 'Prod' and m.deleted = false";
    assert_eq!(count(&app, live).await, 9);
    let prod_fields = "select count(*) from field_mappings f join table_maps m on m.id = f.map_id
                       join environments e on e.id = m.environment_id where e.name = 'Prod'";
    assert_eq!(count(&app, prod_fields).await, 2);

    // The same document again finds everything as it is: no new revisions.
    let revisions = count(&app, "select count(*) from revisions").await;
    let res = app.post_form("/sfn/import_maps", &import).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        count(&app, "select count(*) from revisions").await,
        revisions
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"field.create".to_string())
    );
}

#[tokio::test]
async fn one_bad_map_or_row_means_nothing_is_imported() {
    let app = app_with_uat().await;
    let doc = serde_json::json!({
        "format": "dwconsole.maps", "version": 1,
        "maps": [
            { "name": "Customers", "fo_entity": "CustCustomerV3Entity", "dataverse_table": "account",
              "direction": "bidirectional", "master_side": "fo", "initial_sync": "dual_write", "state": "running" },
            { "name": "Vendors", "fo_entity": "VendVendorV2Entity", "dataverse_table": "msdyn_vendor",
              "direction": "sideways", "master_side": "fo", "initial_sync": "dual_write", "state": "running",
              "owner": "someone" }
        ]
    })
    .to_string();
    let res = app
        .post_form(
            "/sfn/import_maps",
            &[("env", "UAT"), ("document", doc.as_str()), ("comment", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("Map 2: unknown field `owner`"), "{body}");
    assert_eq!(count(&app, "select count(*) from table_maps").await, 0);

    let res = app
        .post_form(
            "/sfn/import_maps",
            &[
                ("env", "UAT"),
                ("document", "{\"format\": \"dwconsole.maps\", "),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("could not be read"));

    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    let csv =
        "fo_field,dataverse_column,direction\nCreditLimit,creditlimit,both\nName,name,sideways\n";
    let res = app
        .post_form(
            "/sfn/import_field_mappings",
            &[("map_id", "1"), ("csv", csv), ("comment", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Row 3 (Name"));
    assert_eq!(count(&app, "select count(*) from field_mappings").await, 0);
}

#[tokio::test]
async fn viewers_export_but_cannot_import() {
    let app = app_with_uat().await;
    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    assert_eq!(
        app.get_with(&viewer, "/export/maps.json").await.status(),
        StatusCode::OK
    );
    let res = app
        .post_form_with(
            &viewer,
            "/sfn/import_field_mappings",
            &[
                ("map_id", "1"),
                ("csv", "fo_field,dataverse_column\nA,b\n"),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let anonymous = new_client();
    let res = anonymous
        .get(app.url("/export/maps/1/fields.csv"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
}
