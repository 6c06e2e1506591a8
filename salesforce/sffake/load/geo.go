package load

// place is a city accounts can have their addresses in.
type place struct {
	city, state, stateCode, postal, country, countryCode string
	lat, lon                                             float64
}

// terrSpec describes one Territory2 of the demo hierarchy.
type terrSpec struct {
	dev, name, parent string
	named             bool    // Named_Accounts type; Geo otherwise
	places            []place // leaf geo territories only
}

// Places of the leaf territories.
var (
	us = func(city, state, code, postal string, lat, lon float64) place {
		return place{city, state, code, postal, "United States", "US", lat, lon}
	}
	de = func(city, state, code, postal string, lat, lon float64) place {
		return place{city, state, code, postal, "Germany", "DE", lat, lon}
	}
	au = func(city, state, code, postal string, lat, lon float64) place {
		return place{city, state, code, postal, "Australia", "AU", lat, lon}
	}
)

// territorySpecs is the hierarchy, parents before children: Global, the
// three geos, twelve regions, fourteen districts and one named-accounts
// territory per geo — 33 territories. Regions without districts are
// leaves and have places.
var territorySpecs = []terrSpec{
	{dev: "Global", name: "Global"},
	{dev: "AMER", name: "Americas", parent: "Global"},
	{dev: "EMEA", name: "Europe, Middle East and Africa", parent: "Global"},
	{dev: "APAC", name: "Asia Pacific", parent: "Global"},

	{dev: "US_West", name: "US West", parent: "AMER"},
	{dev: "US_East", name: "US East", parent: "AMER"},
	{dev: "Canada", name: "Canada", parent: "AMER", places: []place{
		{"Toronto", "Ontario", "ON", "M5V 2T6", "Canada", "CA", 43.6532, -79.3832},
		{"Vancouver", "British Columbia", "BC", "V6B 1A1", "Canada", "CA", 49.2827, -123.1207},
	}},
	{dev: "LATAM", name: "Latin America", parent: "AMER", places: []place{
		{"São Paulo", "São Paulo", "SP", "01000-000", "Brazil", "BR", -23.5505, -46.6333},
		{"Mexico City", "Ciudad de México", "CMX", "06000", "Mexico", "MX", 19.4326, -99.1332},
	}},
	{dev: "DACH", name: "DACH", parent: "EMEA"},
	{dev: "UKI", name: "UK and Ireland", parent: "EMEA"},
	{dev: "France", name: "France", parent: "EMEA", places: []place{
		{"Paris", "Île-de-France", "IDF", "75001", "France", "FR", 48.8566, 2.3522},
		{"Lyon", "Auvergne-Rhône-Alpes", "ARA", "69001", "France", "FR", 45.7640, 4.8357},
	}},
	{dev: "Nordics", name: "Nordics", parent: "EMEA", places: []place{
		{"Stockholm", "Stockholm County", "AB", "111 20", "Sweden", "SE", 59.3293, 18.0686},
		{"Copenhagen", "Capital Region", "84", "1050", "Denmark", "DK", 55.6761, 12.5683},
	}},
	{dev: "ANZ", name: "Australia and New Zealand", parent: "APAC"},
	{dev: "Japan", name: "Japan", parent: "APAC", places: []place{
		{"Tokyo", "Tokyo", "13", "100-0001", "Japan", "JP", 35.6762, 139.6503},
		{"Osaka", "Osaka", "27", "530-0001", "Japan", "JP", 34.6937, 135.5023},
	}},
	{dev: "India", name: "India", parent: "APAC", places: []place{
		{"Bengaluru", "Karnataka", "KA", "560001", "India", "IN", 12.9716, 77.5946},
		{"Mumbai", "Maharashtra", "MH", "400001", "India", "IN", 19.0760, 72.8777},
	}},
	{dev: "SEA", name: "Southeast Asia", parent: "APAC", places: []place{
		{"Singapore", "Singapore", "", "018956", "Singapore", "SG", 1.2903, 103.8520},
		{"Kuala Lumpur", "Kuala Lumpur", "14", "50088", "Malaysia", "MY", 3.1390, 101.6869},
	}},

	{dev: "NorCal", name: "Northern California", parent: "US_West", places: []place{
		us("San Francisco", "California", "CA", "94105", 37.7749, -122.4194),
		us("San Jose", "California", "CA", "95113", 37.3382, -121.8863),
	}},
	{dev: "SoCal", name: "Southern California", parent: "US_West", places: []place{
		us("Los Angeles", "California", "CA", "90012", 34.0522, -118.2437),
		us("San Diego", "California", "CA", "92101", 32.7157, -117.1611),
	}},
	{dev: "Pacific_NW", name: "Pacific Northwest", parent: "US_West", places: []place{
		us("Seattle", "Washington", "WA", "98101", 47.6062, -122.3321),
		us("Portland", "Oregon", "OR", "97204", 45.5152, -122.6784),
	}},
	{dev: "New_York", name: "New York Metro", parent: "US_East", places: []place{
		us("New York", "New York", "NY", "10007", 40.7128, -74.0060),
		us("Jersey City", "New Jersey", "NJ", "07302", 40.7178, -74.0431),
	}},
	{dev: "New_England", name: "New England", parent: "US_East", places: []place{
		us("Boston", "Massachusetts", "MA", "02108", 42.3601, -71.0589),
		us("Hartford", "Connecticut", "CT", "06103", 41.7658, -72.6734),
	}},
	{dev: "Southeast", name: "US Southeast", parent: "US_East", places: []place{
		us("Atlanta", "Georgia", "GA", "30303", 33.7490, -84.3880),
		us("Miami", "Florida", "FL", "33131", 25.7617, -80.1918),
	}},
	{dev: "Germany_North", name: "Germany North", parent: "DACH", places: []place{
		de("Hamburg", "Hamburg", "HH", "20095", 53.5511, 9.9937),
		de("Berlin", "Berlin", "BE", "10115", 52.5200, 13.4050),
	}},
	{dev: "Germany_South", name: "Germany South", parent: "DACH", places: []place{
		de("Munich", "Bavaria", "BY", "80331", 48.1351, 11.5820),
		de("Stuttgart", "Baden-Württemberg", "BW", "70173", 48.7758, 9.1829),
	}},
	{dev: "Switzerland_Austria", name: "Switzerland and Austria", parent: "DACH", places: []place{
		{"Zurich", "Zurich", "ZH", "8001", "Switzerland", "CH", 47.3769, 8.5417},
		{"Vienna", "Vienna", "9", "1010", "Austria", "AT", 48.2082, 16.3738},
	}},
	{dev: "London", name: "London and South East", parent: "UKI", places: []place{
		{"London", "England", "ENG", "EC1A 1BB", "United Kingdom", "GB", 51.5074, -0.1278},
		{"Reading", "England", "ENG", "RG1 1AA", "United Kingdom", "GB", 51.4543, -0.9781},
	}},
	{dev: "Ireland", name: "Ireland", parent: "UKI", places: []place{
		{"Dublin", "Dublin", "D", "D01 F5P2", "Ireland", "IE", 53.3498, -6.2603},
		{"Cork", "Cork", "CO", "T12 X70A", "Ireland", "IE", 51.8985, -8.4756},
	}},
	{dev: "Sydney_Metro", name: "Sydney Metro", parent: "ANZ", places: []place{
		au("Sydney", "New South Wales", "NSW", "2000", -33.8688, 151.2093),
		au("Newcastle", "New South Wales", "NSW", "2300", -32.9283, 151.7817),
	}},
	{dev: "Melbourne_Metro", name: "Melbourne Metro", parent: "ANZ", places: []place{
		au("Melbourne", "Victoria", "VIC", "3000", -37.8136, 144.9631),
		au("Geelong", "Victoria", "VIC", "3220", -38.1499, 144.3617),
	}},
	{dev: "New_Zealand", name: "New Zealand", parent: "ANZ", places: []place{
		{"Auckland", "Auckland", "AUK", "1010", "New Zealand", "NZ", -36.8485, 174.7633},
		{"Wellington", "Wellington", "WGN", "6011", "New Zealand", "NZ", -41.2865, 174.7762},
	}},

	{dev: "AMER_Named", name: "AMER Named Accounts", parent: "AMER", named: true},
	{dev: "EMEA_Named", name: "EMEA Named Accounts", parent: "EMEA", named: true},
	{dev: "APAC_Named", name: "APAC Named Accounts", parent: "APAC", named: true},
}

// Value lists for account fields.
var (
	industries = []string{
		"Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Energy",
		"Telecommunications", "Media", "Education", "Transportation", "Biotechnology",
		"Insurance", "Construction", "Consulting", "Hospitality",
	}
	accountTypes   = []string{"Prospect", "Customer - Direct", "Customer - Channel", "Partner"}
	ratings        = []string{"Hot", "Warm", "Cold"}
	ownerships     = []string{"Public", "Private", "Subsidiary"}
	accountSources = []string{"Web", "Partner Referral", "Trade Show", "Purchased List", "Other"}
	nameHeads      = []string{
		"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne",
		"Soylent", "Hooli", "Vandelay", "Wonka", "Gringotts", "Oscorp", "Aperture",
		"Massive", "Nakatomi", "Pied Piper", "Dunder", "Sterling", "Monarch", "Bluth",
		"Prestige", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum", "Proseware",
	}
	nameBodies = []string{
		"Analytics", "Dynamics", "Robotics", "Logistics", "Foods", "Energy", "Health",
		"Networks", "Capital", "Pharma", "Motors", "Materials", "Media", "Software", "Aerospace",
		"Biotech", "Retail", "Telecom", "Finance", "Consulting",
	}
	nameTails = []string{"Inc.", "Ltd", "GmbH", "Group", "Holdings", "Corp.", "AG", "Pty Ltd", "S.A.", "plc"}
	streets   = []string{
		"Main Street", "Market Street", "Harbour Road", "King Street", "Station Road",
		"Park Avenue", "High Street", "Broadway", "Church Street", "Mill Lane", "Queen Street", "Bridge Road",
	}
	roles = []string{"Owner", "Sales Rep", "Sales Rep"}
)
