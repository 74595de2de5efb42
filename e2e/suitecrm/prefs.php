<?php
// Marks the admin's first-login wizard done (user preference "ut") and
// sets its time zone, so that a browser logging in lands on the page it
// asked for, not on the wizard. Run by e2e/suitecrm with PHP's CLI, as
// www-data, from SuiteCRM's folder.
if (!defined('sugarEntry')) {
    define('sugarEntry', true);
}
chdir($argv[1]);
require_once 'include/entryPoint.php';
$user = BeanFactory::getBean('Users', '1');
if (empty($user->id)) {
    fwrite(STDERR, "no admin user (id 1)\n");
    exit(1);
}
$user->setPreference('ut', 1, 0, 'global');
$user->setPreference('timezone', 'Europe/Paris', 0, 'global');
$user->savePreferencesToDB();
echo "admin preferences set\n";
