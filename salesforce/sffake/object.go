package sffake

import (
	"fmt"
	"strings"
)

// FieldType is the Salesforce type of a field. It decides the Avro type of
// the field in change event and platform event schemas (spec §2.5) and the
// Go values that records accept for it.
type FieldType int

// The field types. The Go value a record accepts for each is given in
// brackets; every field also accepts nil, which clears it.
const (
	// TypeString is Text, TextArea, Email, Phone or URL [string]; Avro string.
	TypeString FieldType = iota + 1
	// TypePicklist is a picklist [string]; Avro string.
	TypePicklist
	// TypeReference is a lookup holding an 18-character id [string]; Avro
	// string.
	TypeReference
	// TypeDouble is Number [float64 or any integer]; Avro double.
	TypeDouble
	// TypeCurrency is Currency [as TypeDouble]; Avro double.
	TypeCurrency
	// TypePercent is Percent [as TypeDouble]; Avro double.
	TypePercent
	// TypeInt is an integer-like standard field such as NumberOfEmployees
	// [any integer within int32]; Avro int.
	TypeInt
	// TypeBoolean is Checkbox [bool]; Avro boolean.
	TypeBoolean
	// TypeDate is Date [time.Time, its UTC day]; Avro int with logical type
	// date, days since the epoch (spec §2.5 [U]).
	TypeDate
	// TypeDateTime is DateTime [time.Time]; Avro long, epoch milliseconds.
	TypeDateTime
	// TypeTime is Time [time.Duration since midnight]; Avro long,
	// milliseconds since midnight (spec §2.5 [U]).
	TypeTime
	// TypeAddress is a compound address such as BillingAddress. Records hold
	// it as flat component fields named after the field without its
	// "Address" suffix: BillingStreet, BillingCity, BillingState,
	// BillingPostalCode, BillingCountry, BillingStateCode,
	// BillingCountryCode, BillingLatitude, BillingLongitude and
	// BillingGeocodeAccuracy (Latitude and Longitude are doubles, the rest
	// strings). Change events carry it as a nested Address record with the
	// components in the order of spec §2.3.1; the Xyz component is always
	// null.
	TypeAddress
	// TypeSwitchableName is Account's Name [string]: Avro
	// ["null", "string", Switchable_PersonName]. The emulator models
	// business accounts only, so the value is always the string branch.
	TypeSwitchableName
)

var fieldTypeNames = map[FieldType]string{
	TypeString: "Text", TypePicklist: "Picklist", TypeReference: "EntityId",
	TypeDouble: "Double", TypeCurrency: "Currency", TypePercent: "Percent",
	TypeInt: "Int", TypeBoolean: "Boolean", TypeDate: "Date",
	TypeDateTime: "DateTime", TypeTime: "Time", TypeAddress: "Address",
	TypeSwitchableName: "Switchable_PersonName",
}

// String returns the type's name as it appears in schema doc attributes,
// e.g. "Text" or "DateTime".
func (t FieldType) String() string {
	if n, ok := fieldTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("FieldType(%d)", int(t))
}

// Field defines one field of an sObject or platform event.
type Field struct {
	// Name is the field's API name, e.g. "Industry" or "Region__c".
	Name string
	// Type is the field's Salesforce type.
	Type FieldType
	// ExternalID marks the field as an External ID, so that REST upserts
	// (PATCH /sobjects/<Object>/<Field>/<value>) can match records by it.
	// Only Text ([TypeString]), [TypeInt] and [TypeDouble] fields may be
	// external ids.
	ExternalID bool
}

// Object defines an sObject. Fields lists the fields that change events
// carry, in schema order (the order the bitmaps index); the system fields
// Id, IsDeleted and SystemModstamp are implicit and never carried. The
// audit fields CreatedDate, CreatedById, LastModifiedDate and
// LastModifiedById are maintained by the emulator; [Server.DefineObject]
// appends any of them that Fields lacks.
type Object struct {
	// Name is the object's API name, e.g. "Account" or "Employee__c".
	Name string
	// KeyPrefix is the three-character prefix of the object's record ids,
	// e.g. "001".
	KeyPrefix string
	// Fields are the object's fields in change event schema order.
	Fields []Field
	// ChangeEvents enables Change Data Capture for the object: its writes
	// publish change events on its change event topic and on
	// /data/ChangeEvents.
	ChangeEvents bool
	// Extension marks the object's change events as an emulator extension:
	// real orgs publish none for it (spec §7.1). The events are identical
	// in form to real ones; the flag is documentation for tools such as
	// describe output and logs.
	Extension bool
}

// ChangeEventName returns the name of the object's change event: Name +
// "ChangeEvent" for a standard object, and for a custom object its name
// with "__c" replaced by "__ChangeEvent".
func (o Object) ChangeEventName() string {
	if base, ok := strings.CutSuffix(o.Name, "__c"); ok {
		return base + "__ChangeEvent"
	}
	return o.Name + "ChangeEvent"
}

// ChangeEventTopic returns the topic of the object's change events, e.g.
// "/data/AccountChangeEvent".
func (o Object) ChangeEventTopic() string { return "/data/" + o.ChangeEventName() }

// AllChangeEventsTopic carries the change events of every object with
// change events enabled.
const AllChangeEventsTopic = "/data/ChangeEvents"

// EventDefinition defines a custom platform event.
type EventDefinition struct {
	// Name is the event's API name, ending in "__e", e.g.
	// "Territory_Change__e".
	Name string
	// Fields are the event's custom fields in schema order, after the
	// CreatedDate and CreatedById fields every event has. Address and
	// switchable name fields are not allowed.
	Fields []Field
}

// Topic returns the event's topic, "/event/" + Name.
func (e EventDefinition) Topic() string { return "/event/" + e.Name }

// Key prefixes of the built-in objects and the default user and org ids.
// The territory prefixes are the emulator's choice (spec §7.1 [U]).
const (
	PrefixAccount                     = "001"
	PrefixUser                        = "005"
	PrefixOrganization                = "00D"
	PrefixTerritory2                  = "0MI"
	PrefixTerritory2Model             = "0MA"
	PrefixTerritory2Type              = "0M5"
	PrefixUserTerritory2Association   = "0R0"
	PrefixObjectTerritory2Association = "0R1"
)

// Audit and system field names the emulator maintains.
const (
	fieldID               = "Id"
	fieldIsDeleted        = "IsDeleted"
	fieldSystemModstamp   = "SystemModstamp"
	fieldCreatedDate      = "CreatedDate"
	fieldCreatedByID      = "CreatedById"
	fieldLastModifiedDate = "LastModifiedDate"
	fieldLastModifiedByID = "LastModifiedById"
	fieldOwnerID          = "OwnerId"
)

// auditFields are the audit fields, in the order DefineObject appends
// missing ones.
var auditFields = []Field{
	{Name: fieldCreatedDate, Type: TypeDateTime},
	{Name: fieldCreatedByID, Type: TypeReference},
	{Name: fieldLastModifiedDate, Type: TypeDateTime},
	{Name: fieldLastModifiedByID, Type: TypeReference},
}

// AccountObject returns the built-in Account definition: the standard
// fields in the order of Salesforce's AccountChangeEvent (spec §2.3.1,
// ChangeEventHeader being index 0, Name index 1 … OperatingHoursId index
// 35), then the custom fields Territory_Key__c, Segment__c and Region__c
// (spec §7.2). Change events are enabled.
func AccountObject() Object {
	s := func(n string) Field { return Field{Name: n, Type: TypeString} }
	p := func(n string) Field { return Field{Name: n, Type: TypePicklist} }
	r := func(n string) Field { return Field{Name: n, Type: TypeReference} }
	return Object{
		Name:         "Account",
		KeyPrefix:    PrefixAccount,
		ChangeEvents: true,
		Fields: []Field{
			{Name: "Name", Type: TypeSwitchableName},
			p("Type"), r("ParentId"),
			{Name: "BillingAddress", Type: TypeAddress},
			{Name: "ShippingAddress", Type: TypeAddress},
			s("Phone"), s("Fax"), s("AccountNumber"), s("Website"), s("Sic"),
			p("Industry"),
			{Name: "AnnualRevenue", Type: TypeCurrency},
			{Name: "NumberOfEmployees", Type: TypeInt},
			p("Ownership"), s("TickerSymbol"), s("Description"), p("Rating"), s("Site"),
			r("OwnerId"),
			{Name: fieldCreatedDate, Type: TypeDateTime}, r(fieldCreatedByID),
			{Name: fieldLastModifiedDate, Type: TypeDateTime}, r(fieldLastModifiedByID),
			s("Jigsaw"), s("JigsawCompanyId"), p("CleanStatus"), p("AccountSource"),
			s("DunsNumber"), s("Tradestyle"), s("NaicsCode"), s("NaicsDesc"),
			s("YearStarted"), s("SicDesc"), r("DandbCompanyId"), r("OperatingHoursId"),
			s("Territory_Key__c"), p("Segment__c"), p("Region__c"),
		},
	}
}

// TerritoryObjects returns the built-in Enterprise Territory Management
// objects of spec §7.1: Territory2Model, Territory2Type, Territory2,
// UserTerritory2Association and ObjectTerritory2Association. Their change
// events are an emulator extension (Extension is set) and are disabled
// unless changeEvents is true.
func TerritoryObjects(changeEvents bool) []Object {
	s := func(n string) Field { return Field{Name: n, Type: TypeString} }
	p := func(n string) Field { return Field{Name: n, Type: TypePicklist} }
	r := func(n string) Field { return Field{Name: n, Type: TypeReference} }
	dt := func(n string) Field { return Field{Name: n, Type: TypeDateTime} }
	objs := []Object{
		{
			Name: "Territory2Model", KeyPrefix: PrefixTerritory2Model,
			Fields: []Field{
				s("Name"), s("DeveloperName"), s("Description"), p("State"),
				dt("ActivatedDate"), dt("DeactivatedDate"), dt("LastRunRulesEndDate"), dt("LastOppTerrAssignEndDate"),
			},
		},
		{
			Name: "Territory2Type", KeyPrefix: PrefixTerritory2Type,
			Fields: []Field{s("DeveloperName"), s("MasterLabel"), {Name: "Priority", Type: TypeInt}, s("Description")},
		},
		{
			Name: "Territory2", KeyPrefix: PrefixTerritory2,
			Fields: []Field{
				s("Name"), s("DeveloperName"), s("Description"),
				r("Territory2ModelId"), r("Territory2TypeId"), r("ParentTerritory2Id"),
				p("AccountAccessLevel"), p("OpportunityAccessLevel"), p("CaseAccessLevel"), p("ContactAccessLevel"),
				r("ForecastUserId"),
			},
		},
		{
			Name: "UserTerritory2Association", KeyPrefix: PrefixUserTerritory2Association,
			Fields: []Field{r("UserId"), r("Territory2Id"), p("RoleInTerritory2"), {Name: "IsActive", Type: TypeBoolean}},
		},
		{
			Name: "ObjectTerritory2Association", KeyPrefix: PrefixObjectTerritory2Association,
			Fields: []Field{r("ObjectId"), r("Territory2Id"), p("AssociationCause"), s("SobjectType")},
		},
	}
	for i := range objs {
		objs[i].Extension = true
		objs[i].ChangeEvents = changeEvents
	}
	return objs
}

// addressComponents are the components of the Address record in change
// events, in the order of spec §2.3.1, with their Avro types. Xyz has no
// flat record field.
var addressComponents = []struct {
	name   string
	double bool
}{
	{name: "Street"}, {name: "City"}, {name: "State"}, {name: "PostalCode"},
	{name: "Country"}, {name: "StateCode"}, {name: "CountryCode"},
	{name: "Latitude", double: true}, {name: "Longitude", double: true},
	{name: "Xyz"}, {name: "GeocodeAccuracy"},
}

// personNameComponents are the components of Switchable_PersonName.
var personNameComponents = []string{"Salutation", "FirstName", "LastName", "MiddleName", "InformalName", "Suffix"}

// addressFlatName returns the record field holding component comp of the
// address field name, e.g. BillingAddress, City → BillingCity; "" for Xyz.
func addressFlatName(name, comp string) string {
	if comp == "Xyz" {
		return ""
	}
	return strings.TrimSuffix(name, "Address") + comp
}

// ValidAPIName reports whether n looks like an API name of an object,
// event or field: a letter, then letters, digits and underscores.
func ValidAPIName(n string) bool {
	if n == "" {
		return false
	}
	for i, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}
