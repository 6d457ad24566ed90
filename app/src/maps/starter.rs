//! The starter set: the maps the runbook guide recommends enabling first,
//! and those it recommends not syncing, with the entity, table and key names
//! from Microsoft's default dual-write configuration.

use super::{Direction, InitialSync, MapContent, MapState, Side};

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per map attribute keeps the table readable"
)]
fn map(
    name: &str,
    fo_entity: &str,
    dataverse_table: &str,
    direction: Direction,
    master_side: Side,
    fo_keys: &str,
    dataverse_keys: &str,
    not_synced_reason: &str,
    tags: &str,
    notes: &str,
) -> MapContent {
    MapContent {
        name: name.into(),
        fo_entity: fo_entity.into(),
        dataverse_table: dataverse_table.into(),
        direction,
        not_synced_reason: not_synced_reason.into(),
        master_side,
        fo_keys: fo_keys.into(),
        dataverse_keys: dataverse_keys.into(),
        initial_sync: if direction == Direction::NotSynced {
            InitialSync::Skip
        } else {
            InitialSync::DualWrite
        },
        expected_records: None,
        state: MapState::NotRunning,
        tags: tags.into(),
        notes: notes.into(),
    }
}

/// The starter maps, in the order the guide lists them.
pub fn starter_set() -> Vec<MapContent> {
    use Direction::*;
    vec![
        map(
            "Customers V3",
            "CustCustomerV3Entity",
            "account",
            Bidirectional,
            Side::Fo,
            "CustomerAccount, dataAreaId",
            "accountnumber, msdyn_company.cdm_companycode",
            "",
            "starter, customers",
            "Organisation customers. Default filters: F&O `((PartyType == \"Organization\"))`, Dataverse \
             `customertypecode eq 3`.\n\nCustomers V3 (accounts) is a **single-threaded** table for initial \
             sync: load F&O first, then sync to Dataverse. Set the expected record count to get volume checks.",
        ),
        map(
            "CDS Contacts V2",
            "smmContactPersonCDSV2Entity",
            "contact",
            Bidirectional,
            Side::Dataverse,
            "ContactPersonId, dataAreaId",
            "msdyn_contactpersonid, msdyn_company.cdm_companycode",
            "",
            "starter, contacts",
            "Contacts are mastered in Dataverse (the sales team maintains them). Default filters: F&O \
             `(AssociatedContactType = 1)`; Dataverse `msdyn_contactforvendor eq true and msdyn_sellable eq false \
             and msdyn_contactpersonid ne ''`. Check the key fields against your map's integration key.",
        ),
        map(
            "Released products V2",
            "EcoResReleasedProductV2Entity",
            "msdyn_sharedproductdetail",
            Bidirectional,
            Side::Fo,
            "ItemNumber, dataAreaId",
            "msdyn_itemnumber, msdyn_companyid.cdm_companycode",
            "",
            "starter, products",
            "Products are mastered in F&O.",
        ),
        map(
            "Sales invoice headers V2",
            "SalesInvoiceHeaderV2Entity",
            "invoice",
            FoToDataverse,
            Side::Fo,
            "LedgerVoucher, InvoiceDate, InvoiceNumber, dataAreaId",
            "msdyn_ledgervoucher, msdyn_invoicedate, msdyn_invoicenumber, company",
            "",
            "starter, invoices",
            "One-way, so case handlers in Dataverse see invoices. Default F&O filter `(SalesOrderNumber != \"\")`.",
        ),
        map(
            "Terms of payment",
            "PaymentTermEntity",
            "msdyn_paymentterm",
            FoToDataverse,
            Side::Fo,
            "Name, dataAreaId",
            "msdyn_name, company",
            "",
            "starter, quote-to-cash",
            "One-way, for quote-to-cash in Dataverse.",
        ),
        map(
            "Sales quotation headers",
            "SalesQuotationHeaderCDSEntity",
            "quote",
            DataverseToFo,
            Side::Dataverse,
            "SalesQuotationNumber, dataAreaId",
            "quotenumber, msdyn_company.cdm_companycode",
            "",
            "starter, opportunity-to-quote",
            "Opportunity to quote: a quote created in Dataverse becomes a sales quotation in F&O. This map is not \
             in the domain reference's key table; confirm the entity, table and keys against your environment.",
        ),
        map(
            "Worker",
            "HcmWorkerEntity",
            "cdm_worker",
            NotSynced,
            Side::Fo,
            "",
            "",
            "Owned by HR in F&O; Dataverse does not need workers. Each map skipped is one less outage surface.",
            "starter, not synced",
            "",
        ),
        map(
            "Vendors V2",
            "VendVendorV2Entity",
            "msdyn_vendor",
            NotSynced,
            Side::Fo,
            "",
            "",
            "Vendors are owned and used by purchasing in F&O only.",
            "starter, not synced",
            "",
        ),
        map(
            "Financial dimensions",
            "DimensionAttributeEntity",
            "msdyn_dimensionattribute",
            NotSynced,
            Side::Fo,
            "",
            "",
            "Financial dimensions are owned by finance in F&O.",
            "starter, not synced",
            "",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_set_follows_the_guide_and_passes_validation() {
        let set = starter_set();
        assert_eq!(set.len(), 9);
        let by = |d: Direction| set.iter().filter(|m| m.direction == d).count();
        assert_eq!(by(Direction::Bidirectional), 3);
        assert_eq!(by(Direction::FoToDataverse), 2);
        assert_eq!(by(Direction::DataverseToFo), 1);
        assert_eq!(by(Direction::NotSynced), 3);
        for m in &set {
            let again = super::super::validate_map(
                &m.name,
                &m.fo_entity,
                &m.dataverse_table,
                m.direction.as_str(),
                &m.not_synced_reason,
                m.master_side.as_str(),
                &m.fo_keys,
                &m.dataverse_keys,
                m.initial_sync.as_str(),
                "",
                m.state.as_str(),
                &m.tags,
                &m.notes,
            );
            assert_eq!(again.as_ref(), Ok(m), "{}", m.name);
            assert!(
                super::super::check_map(m, 1).is_empty(),
                "{} starts clean",
                m.name
            );
        }
    }
}
