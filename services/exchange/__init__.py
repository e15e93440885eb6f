"""Exchange gateway: the authenticated door for courts, prisons, police, the procuratorate,
rehabilitation centres, civil affairs and devices (数据交换)."""
